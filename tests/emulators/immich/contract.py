"""What the emulated Immich looks like for a given server version: enums, config schema and defaults,
and the response shapes (DTOs) of @immich/sdk.

contract.json holds the data extracted from the published SDK packages (2.4.0, 2.7.5, 3.0.0, 3.2.2) and,
for 2.5.5 and 3.1.0, the data recorded from the real server of that version (tests/contract/record.py:
config tree and defaults, queue names, Permission enum). A server version uses the newest entry that is
not newer than itself, so 2.5.5 is emulated with what the real 2.5.5 serves.
"""

import copy
import json
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(_HERE, 'contract.json')) as _fh:
    _DATA = json.load(_fh)['versions']

SDK_VERSIONS = sorted((tuple(int(p) for p in v.split('.')), v) for v in _DATA)

# Server defaults (server/src/config.ts of 3.2; older releases differ only where noted in OLD_DEFAULTS).
DEFAULTS = {
    'backup': {'database': {'enabled': True, 'cronExpression': '0 02 * * *', 'keepLastAmount': 14}},
    'ffmpeg': {
        'crf': 23, 'threads': 0, 'preset': 'ultrafast', 'targetVideoCodec': 'h264', 'acceptedVideoCodecs': ['h264'],
        'targetAudioCodec': 'aac', 'acceptedAudioCodecs': ['aac', 'mp3', 'opus'], 'acceptedContainers': ['mov', 'ogg', 'webm'],
        'targetResolution': '720', 'maxBitrate': '0', 'bframes': -1, 'refs': 0, 'gopSize': 0, 'temporalAQ': False,
        'cqMode': 'auto', 'twoPass': False, 'preferredHwDevice': 'auto', 'transcode': 'required', 'tonemap': 'hable',
        'accel': 'disabled', 'accelDecode': True,
        'realtime': {'enabled': False, 'videoCodecs': ['h264', 'hevc'], 'resolutions': [480, 720, 1080]},
    },
    'integrityChecks': {
        'missingFiles': {'enabled': True, 'cronExpression': '0 03 * * *'},
        'untrackedFiles': {'enabled': True, 'cronExpression': '0 03 * * *'},
        'checksumFiles': {'enabled': True, 'cronExpression': '0 03 * * *', 'timeLimit': 3600000, 'percentageLimit': 1},
    },
    'job': {
        'thumbnailGeneration': {'concurrency': 3}, 'metadataExtraction': {'concurrency': 5},
        'videoConversion': {'concurrency': 1}, 'faceDetection': {'concurrency': 2}, 'smartSearch': {'concurrency': 2},
        'backgroundTask': {'concurrency': 5}, 'migration': {'concurrency': 5}, 'search': {'concurrency': 5},
        'sidecar': {'concurrency': 5}, 'library': {'concurrency': 5}, 'notifications': {'concurrency': 5},
        'ocr': {'concurrency': 1}, 'workflow': {'concurrency': 5}, 'editor': {'concurrency': 2},
        'integrityCheck': {'concurrency': 1},
    },
    'logging': {'enabled': True, 'level': 'log'},
    'machineLearning': {
        'enabled': True, 'urls': ['http://immich-machine-learning:3003'],
        'availabilityChecks': {'enabled': True, 'timeout': 2000, 'interval': 30000},
        'clip': {'enabled': True, 'modelName': 'ViT-B-32__openai'},
        'duplicateDetection': {'enabled': True, 'maxDistance': 0.01},
        'facialRecognition': {'enabled': True, 'modelName': 'buffalo_l', 'minScore': 0.7, 'maxDistance': 0.5, 'minFaces': 3},
        'ocr': {'enabled': True, 'modelName': 'PP-OCRv5_mobile', 'minDetectionScore': 0.5, 'minRecognitionScore': 0.8,
                'maxResolution': 736},
    },
    'map': {'enabled': True, 'lightStyle': 'https://tiles.immich.cloud/v1/style/light.json',
            'darkStyle': 'https://tiles.immich.cloud/v1/style/dark.json'},
    'reverseGeocoding': {'enabled': True},
    'metadata': {'faces': {'import': False}},
    'oauth': {
        'autoLaunch': False, 'autoRegister': True, 'buttonText': 'Login with OAuth', 'clientId': '', 'clientSecret': '',
        'defaultStorageQuota': None, 'enabled': False, 'issuerUrl': '', 'endSessionEndpoint': '',
        'mobileOverrideEnabled': False, 'mobileRedirectUri': '', 'prompt': '', 'scope': 'openid email profile',
        'signingAlgorithm': 'RS256', 'profileSigningAlgorithm': 'none', 'storageLabelClaim': 'preferred_username',
        'storageQuotaClaim': 'immich_quota', 'roleClaim': 'immich_role', 'tokenEndpointAuthMethod': 'client_secret_post',
        'timeout': 30000, 'allowInsecureRequests': False,
    },
    'passwordLogin': {'enabled': True},
    'storageTemplate': {'enabled': False, 'hashVerificationEnabled': True, 'template': '{{y}}/{{y}}-{{MM}}-{{dd}}/{{filename}}'},
    'image': {
        'thumbnail': {'format': 'webp', 'size': 250, 'quality': 80, 'progressive': False},
        'preview': {'format': 'jpeg', 'size': 1440, 'quality': 80, 'progressive': False},
        'colorspace': 'p3', 'extractEmbedded': False,
        'fullsize': {'enabled': False, 'format': 'jpeg', 'quality': 80, 'progressive': False},
    },
    'newVersionCheck': {'enabled': True, 'channel': 'stable'},
    'nightlyTasks': {'startTime': '00:00', 'databaseCleanup': True, 'generateMemories': True, 'syncQuotaUsage': True,
                     'missingThumbnails': True, 'clusterNewFaces': True},
    'trash': {'enabled': True, 'days': 30},
    'theme': {'customCss': ''},
    'library': {'scan': {'enabled': True, 'cronExpression': '0 0 * * *'}, 'watch': {'enabled': False}},
    'server': {'externalDomain': '', 'loginPageMessage': '', 'publicUsers': True},
    'notifications': {'smtp': {'enabled': False, 'from': '', 'replyTo': '', 'transport': {
        'ignoreCert': False, 'host': '', 'port': 587, 'secure': False, 'username': '', 'password': ''}}},
    'templates': {'email': {'welcomeTemplate': '', 'albumInviteTemplate': '', 'albumUpdateTemplate': ''}},
    'user': {'deleteDelay': 7},
}

# 2.x shipped hardware-accelerated decoding off by default.
OLD_DEFAULTS = {'ffmpeg.accelDecode': False}
# Enum values renamed between versions: before 2.7 Opus was only known as 'libopus'.
ENUM_ALIASES = {'opus': 'libopus'}


def parse_version(text):
    parts = str(text).lstrip('v').split('-', maxsplit=1)[0].split('.')
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError('version must look like 2.5.5, got %r' % text)
    return tuple(int(p) for p in parts)


class Contract(object):
    """The API surface of one emulated server version."""

    def __init__(self, version):
        self.version = parse_version(version) if isinstance(version, str) else tuple(version)
        chosen = SDK_VERSIONS[0][1]
        for number, name in SDK_VERSIONS:
            if number <= self.version:
                chosen = name
        self.sdk_version = chosen
        data = _DATA[chosen]
        self.permissions = list(data['permissions'])
        self.queues = list(data['queues'])
        self.config_schema = data['config_schema']
        self.config_enums = data['config_enums']
        # Versions recorded from their real server (tests/contract/record.py) carry its own defaults.
        self.recorded_defaults = data.get('config_defaults')
        self.real = bool(data.get('real'))

    @property
    def major3(self):
        """3.x validates with zod and reports issues in ``errors``; 2.x uses class-validator messages."""
        return self.version >= (3, 0, 0)

    @property
    def has_admin_config(self):
        return self.version >= (3, 2, 0)

    @property
    def version_string(self):
        return '%d.%d.%d' % self.version

    def default_config(self):
        if self.recorded_defaults is not None:
            return copy.deepcopy(self.recorded_defaults)
        return self._defaults(self.config_schema, DEFAULTS, '')

    def _defaults(self, schema, source, prefix):
        out = {}
        for raw_key, leaf in schema.items():
            key = raw_key.rstrip('?')
            path = prefix + key
            value = source.get(key) if isinstance(source, dict) else None
            if isinstance(leaf, dict):
                out[key] = self._defaults(leaf, value or {}, path + '.')
                continue
            if self.version < (3, 0, 0) and path in OLD_DEFAULTS:
                value = OLD_DEFAULTS[path]
            if value is None and not (isinstance(leaf, list) and leaf[0] == 'nullable'):
                value = self._blank(leaf)
            out[key] = self._fit_enum(leaf, copy.deepcopy(value))
        return out

    def _fit_enum(self, leaf, value):
        """Default values renamed for this version's enums (a default must pass the version's own validation)."""
        inner = leaf[1] if isinstance(leaf, list) else leaf
        if not (isinstance(inner, str) and inner.startswith('enum:')):
            return value
        allowed = self.config_enums[inner[5:]]

        def fit(item):
            return item if item in allowed else ENUM_ALIASES.get(item, item)
        return [fit(v) for v in value] if isinstance(value, list) else fit(value)

    def _blank(self, leaf):
        if isinstance(leaf, list):
            return [] if leaf[0] == 'list' else None
        if leaf.startswith('enum:'):
            return self.config_enums[leaf[5:]][0]
        return {'bool': False, 'num': 0, 'str': ''}[leaf]

    # -- response shapes (field sets follow the SDK types of the version) ------------------------

    def server_version(self):
        body = {'major': self.version[0], 'minor': self.version[1], 'patch': self.version[2]}
        if self.major3:
            body['prerelease'] = None
        return body

    def user_admin(self, user):
        body = {
            'avatarColor': user.get('avatarColor', 'primary'),
            'createdAt': user['createdAt'],
            'deletedAt': user.get('deletedAt'),
            'email': user['email'],
            'id': user['id'],
            'isAdmin': user['isAdmin'],
            'license': None,
            'name': user['name'],
            'oauthId': '',
            'profileChangedAt': user['createdAt'],
            'profileImagePath': '',
            'quotaSizeInBytes': None,
            'quotaUsageInBytes': 0,
            'shouldChangePassword': user.get('shouldChangePassword', False),
            'status': 'active',
            'storageLabel': user.get('storageLabel'),
            'updatedAt': user['updatedAt'],
        }
        if self.version >= (3, 2, 0):
            body['clusterGroupId'] = user.get('clusterGroupId', '')
        return body

    @staticmethod
    def login_response(user, token):
        return {
            'accessToken': token,
            'isAdmin': user['isAdmin'],
            'isOnboarded': user.get('isOnboarded', False),
            'name': user['name'],
            'profileImagePath': '',
            'shouldChangePassword': user.get('shouldChangePassword', False),
            'userEmail': user['email'],
            'userId': user['id'],
        }

    @staticmethod
    def api_key(key):
        return {
            'createdAt': key['createdAt'],
            'id': key['id'],
            'name': key['name'],
            'permissions': list(key['permissions']),
            'updatedAt': key['updatedAt'],
        }

    def api_key_created(self, key, secret):
        body = {'apiKey': self.api_key(key), 'secret': secret}
        if self.version >= (3, 2, 0):
            # 3.2's ApiKeyCreateResponseDto repeats the key's fields at the top level.
            body.update(self.api_key(key))
        return body

    @staticmethod
    def library(lib, asset_count):
        return {
            'assetCount': asset_count,
            'createdAt': lib['createdAt'],
            'exclusionPatterns': list(lib['exclusionPatterns']),
            'id': lib['id'],
            'importPaths': list(lib['importPaths']),
            'name': lib['name'],
            'ownerId': lib['ownerId'],
            'refreshedAt': lib.get('refreshedAt'),
            'updatedAt': lib['updatedAt'],
        }

    def server_features(self, config, config_file):
        ml = config['machineLearning']
        body = {
            'configFile': bool(config_file),
            'duplicateDetection': ml['enabled'] and ml['duplicateDetection']['enabled'],
            'email': config['notifications']['smtp']['enabled'],
            'facialRecognition': ml['enabled'] and ml['facialRecognition']['enabled'],
            'importFaces': config['metadata']['faces']['import'],
            'map': config['map']['enabled'],
            'oauth': config['oauth']['enabled'],
            'oauthAutoLaunch': config['oauth']['autoLaunch'],
            'ocr': ml['enabled'] and ml['ocr']['enabled'],
            'passwordLogin': config['passwordLogin']['enabled'],
            'reverseGeocoding': config['reverseGeocoding']['enabled'],
            'search': True,
            'sidecar': True,
            'smartSearch': ml['enabled'] and ml['clip']['enabled'],
            'trash': config['trash']['enabled'],
        }
        if self.major3:
            body['realtimeTranscoding'] = bool(config['ffmpeg'].get('realtime', {}).get('enabled', False))
        return body

    def server_config(self, config, initialized, onboarded):
        body = {
            'externalDomain': config['server']['externalDomain'],
            'isInitialized': initialized,
            'isOnboarded': onboarded,
            'loginPageMessage': config['server']['loginPageMessage'],
            'maintenanceMode': False,
            'mapDarkStyleUrl': config['map']['darkStyle'],
            'mapLightStyleUrl': config['map']['lightStyle'],
            'oauthButtonText': config['oauth']['buttonText'],
            'publicUsers': config['server']['publicUsers'],
            'trashDays': config['trash']['days'],
            'userDeleteDelay': config['user']['deleteDelay'],
        }
        if self.major3:
            body['minFaces'] = config['machineLearning']['facialRecognition']['minFaces']
        return body
