"""Create a small photo tree standing for the NAS export mounted at /mnt/photos.

The files are tiny but real (valid JPEG/PNG headers), with a Synology-style @eaDir folder and a
macOS ._ file that Immich's default exclusions must skip. Existing files are left alone.
"""
import os
import struct
import sys
import zlib

JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def png(width=1, height=1):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"\x00" + b"\xff\x00\x00" * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw * height)) + chunk(b"IEND", b""))


FILES = {
    "2023/summer/IMG_0001.jpg": JPEG,
    "2023/summer/IMG_0002.jpg": JPEG,
    "2023/summer/IMG_0003.png": png(),
    "2024/winter/IMG_0101.jpg": JPEG,
    "2024/winter/IMG_0102.jpg": JPEG,
    "2024/winter/clip.mp4": b"\x00\x00\x00\x18ftypmp42",
    "2024/winter/@eaDir/IMG_0101.jpg/SYNOPHOTO_THUMB_M.jpg": JPEG,
    "2024/winter/._IMG_0102.jpg": b"\x00\x05\x16\x07",
}


def main(root):
    for rel, data in FILES.items():
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
