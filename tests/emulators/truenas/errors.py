"""TrueNAS error shapes, as middlewared sends them (api/base/server/ws_handler/rpc.py).

- ValidationErrors -> JSON-RPC -32602 "Invalid params", data.extra = [[attribute, message, errno], ...]
- CallError        -> JSON-RPC -32001 "Method call error", data.error = errno
- unknown method   -> JSON-RPC -32601 "Method does not exist"
data.reason is str(exception): "[EINVAL] attribute: message\n" per validation error,
"[ENOENT] message" for a CallError.
"""
import errno

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
TRUENAS_CALL_ERROR = -32001

# middlewared's own errno values (truenas_api_client/exc.py ErrnoMixin)
ENOTAUTHENTICATED = 207
CUSTOM_ERRNAMES = {201: 'ENOMETHOD', 202: 'ESERVICESTARTFAILURE', 207: 'ENOTAUTHENTICATED'}


def errname(code):
    return errno.errorcode.get(code) or CUSTOM_ERRNAMES.get(code) or 'EUNKNOWN'


class EmulatorError(Exception):
    def to_jsonrpc(self):
        raise NotImplementedError


class CallError(EmulatorError):
    def __init__(self, message, code=errno.EFAULT, extra=None):
        super().__init__(message)
        self.errmsg = message
        self.errno = code
        self.extra = extra

    def __str__(self):
        return f'[{errname(self.errno)}] {self.errmsg}'

    def to_jsonrpc(self):
        return {'code': TRUENAS_CALL_ERROR, 'message': 'Method call error',
                'data': {'error': self.errno, 'errname': errname(self.errno), 'reason': str(self),
                         'trace': None, 'extra': self.extra}}


class ValidationErrors(EmulatorError):
    def __init__(self):
        super().__init__()
        self.errors = []

    def add(self, attribute, message, code=errno.EINVAL):
        self.errors.append((attribute, message, code))

    def check(self):
        if self.errors:
            raise self

    def __bool__(self):
        return bool(self.errors)

    def __str__(self):
        return ''.join(f'[{errname(code)}] {attribute}: {message}\n' for attribute, message, code in self.errors)

    def to_jsonrpc(self):
        return {'code': INVALID_PARAMS, 'message': 'Invalid params',
                'data': {'error': errno.EINVAL, 'errname': 'EINVAL', 'reason': str(self), 'trace': None,
                         'extra': [list(error) for error in self.errors]}}


def validation_error(attribute, message, code=errno.EINVAL):
    verrors = ValidationErrors()
    verrors.add(attribute, message, code)
    return verrors


class MethodNotFound(EmulatorError):
    def to_jsonrpc(self):
        return {'code': METHOD_NOT_FOUND, 'message': 'Method does not exist'}
