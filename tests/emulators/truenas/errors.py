"""TrueNAS error shapes, as middlewared sends them (api/base/server/ws_handler/rpc.py process_method_call and
format_truenas_error at TS-25.04.0, TS-25.10.6, TS-26.0.0-BETA.3; service_exception.py for the errnos).

- ValidationError(s) -> JSON-RPC -32602 "Invalid params", data.error = EINVAL (always, whatever the items say),
                        data.extra = [[attribute, message, errno], ...]; an item's errno defaults to EINVAL
- CallError          -> JSON-RPC -32001 "Method call error", data.error = its errno (default EFAULT)
- any other exception -> -32001 "Method call error" with errno EINVAL and reason str(exc) (e.g. MatchNotFound
                        from service.object, whose str is the bare service name)
- unknown method     -> JSON-RPC -32601 "Method does not exist" (no data)
data = {error, errname, reason, trace, extra}; reason is str(exception): "[EINVAL] attribute: message\n" per
validation error, "[ENOENT] message" for a CallError. errname is the errno's name (errno.errorcode, else
truenas_api_client ErrnoMixin: 201 ENOMETHOD ... 207 ENOTAUTHENTICATED ... 210 EHAUNAVAILABLE).
"""
import errno

INVALID_PARAMS = -32602
METHOD_NOT_FOUND = -32601
INVALID_REQUEST = -32600
TRUENAS_CALL_ERROR = -32001

# middlewared's own errno values (truenas_api_client/exc.py ErrnoMixin)
ENOTAUTHENTICATED = 207
CUSTOM_ERRNAMES = {201: 'ENOMETHOD', 202: 'ESERVICESTARTFAILURE', 203: 'EALERTCHECKERUNAVAILABLE',
                   204: 'EREMOTENODEERROR', 205: 'EDATASETISLOCKED', 206: 'EINVALIDRRDTIMESTAMP',
                   207: 'ENOTAUTHENTICATED', 208: 'ESSLCERTVERIFICATIONERROR', 209: 'EREBOOTREQUIRED',
                   210: 'EHAUNAVAILABLE'}


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


class UnexpectedError(EmulatorError):
    """A non-CallError exception inside a method (``type_name`` is its class, e.g. MatchNotFound)."""

    def __init__(self, type_name, message):
        super().__init__(message)
        self.type_name = type_name
        self.errmsg = message
        self.errno = None
        self.extra = None

    def to_jsonrpc(self):
        return {'code': TRUENAS_CALL_ERROR, 'message': 'Method call error',
                'data': {'error': errno.EINVAL, 'errname': 'EINVAL', 'reason': self.errmsg, 'trace': None,
                         'extra': None}}


class MethodNotFound(EmulatorError):
    def to_jsonrpc(self):
        return {'code': METHOD_NOT_FOUND, 'message': 'Method does not exist'}
