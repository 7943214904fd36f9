"""The error kinds every service speaks, with a stable code and a message in English and Bahasa.

Pure standard library, so that domain modules may raise these directly; each service's ``api.py``
turns them into HTTP responses through :func:`shared.httpapi.install_error_handlers`.
"""

from __future__ import annotations


class SiviconError(Exception):
    """Base: ``code`` is stable for clients, ``message`` is English, ``pesan`` is Indonesian;
    ``details`` lists the fields at fault, each as ``{"field", "message"}``."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        pesan: str | None = None,
        *,
        code: str | None = None,
        details: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.pesan = pesan or message
        self.details = details
        if code:
            self.code = code


class InvalidInput(SiviconError):
    status = 422
    code = "invalid_input"


class NotAuthenticated(SiviconError):
    status = 401
    code = "not_authenticated"


class Forbidden(SiviconError):
    status = 403
    code = "forbidden"


class NotFound(SiviconError):
    status = 404
    code = "not_found"


class OutOfOrder(SiviconError):
    """A step that the procedure does not allow now (wrong step, already done, case closed)."""

    status = 409
    code = "step_out_of_order"


class ClosedCase(OutOfOrder):
    """The case of the request is closed, as the disposition service recorded it: a command
    that needs an open case (withdrawing, acknowledging receipt, creating the meeting) is
    refused."""

    code = "case_closed"


class TooLarge(SiviconError):
    status = 413
    code = "too_large"


class Unavailable(SiviconError):
    status = 503
    code = "unavailable"
