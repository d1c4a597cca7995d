"""The photos folder the real server scans: real media files Immich can read, plus the folders its
default exclusion patterns must skip (Syncthing's `.stversions/`, Synology's `@eaDir/`).

JPEGs carry EXIF (camera, DateTimeOriginal) so metadata extraction has something real to read, and
each differs in pixels and date so no two share a checksum (Immich de-duplicates by checksum)."""

import os
import shutil
import subprocess
import sys

# name -> (colour, DateTimeOriginal)
JPEGS = {
    '2024/IMG_0001.jpg': ((200, 40, 40), '2024:01:15 10:00:00'),
    '2024/IMG_0002.jpg': ((40, 200, 40), '2024:03:02 12:30:00'),
    '2025/holiday/IMG_0003.jpg': ((40, 40, 200), '2025:07:21 18:45:10'),
    '2025/holiday/IMG_0004.jpg': ((220, 200, 60), '2025:07:22 09:05:00'),
}
PNG = '2025/screenshot.png'
VIDEO = '2025/clip.mp4'
# Folders that must NOT be imported: each holds a real JPEG so only the exclusion keeps it out.
EXCLUDED = ['.stversions/2024/IMG_0001~20240201-101010.jpg', '@eaDir/IMG_0001.jpg/SYNOFILE_THUMB_M.jpg']


def expected_assets(with_video):
    """Paths (relative to the photos root) a scan with the default exclusions must import."""
    names = sorted(JPEGS) + [PNG]
    if with_video:
        names.append(VIDEO)
    return names


def _pil(pillow_dir):
    if pillow_dir not in sys.path:
        sys.path.insert(0, pillow_dir)
    from PIL import Image  # pylint: disable=import-outside-toplevel
    return Image


def write_jpeg(path, pillow_dir, colour, size=(32, 32)):
    """One plain JPEG (no EXIF)."""
    _pil(pillow_dir).new('RGB', size, colour).save(path, 'JPEG')


def make_photos(root, pillow_dir):
    """Write the photos tree into `root` (replaced). Returns the relative paths of the expected assets."""
    image = _pil(pillow_dir)
    shutil.rmtree(root, ignore_errors=True)
    for index, (name, (colour, taken)) in enumerate(sorted(JPEGS.items())):
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        img = image.new('RGB', (64 + index * 8, 48), colour)
        exif = img.getexif()
        exif[0x010F] = 'HomelabCam'          # Make
        exif[0x0110] = 'Model %d' % index    # Model
        exif[0x0132] = taken                 # DateTime
        exif.get_ifd(0x8769)[0x9003] = taken  # Exif IFD: DateTimeOriginal
        img.save(path, 'JPEG', exif=exif.tobytes(), quality=90)
    png = os.path.join(root, PNG)
    image.new('RGB', (40, 30), (10, 120, 200)).save(png, 'PNG')
    for name in EXCLUDED:
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        image.new('RGB', (32, 32), (90, 90, 90 + len(name))).save(path, 'JPEG')
    with_video = bool(shutil.which('ffmpeg'))
    if with_video:
        subprocess.run(['ffmpeg', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10',
                        '-t', '1', '-pix_fmt', 'yuv420p', os.path.join(root, VIDEO)], check=True)
    return expected_assets(with_video)
