"""ONTAP's error answers, in one place.

A client tells errors apart by the HTTP status *and* the ``error.code`` string
in the body (cinder compares codes such as ``"3"`` "API not found" and ``"6"``
"not authorized"), so every refusal the fake makes goes through
:class:`OntapError` and is rendered with the same shape as ONTAP's
``returned_error``::

    {"error": {"message": "...", "code": "...", "target": "..."}}

Codes 1, 2, 3, 4, 6 are ONTAP's documented common codes; 262179 ("Unexpected
argument") and 262197 (invalid value of a field) are the codes ONTAP answers
for bad query arguments.  The unknown-SVM answer for ``X-Dot-SVM-Name`` and
the body-format refusals are modelled on those (no public reference gives the
exact text), and are kept here so one edit adjusts them everywhere.
"""

from __future__ import annotations

from typing import Any

CODE_DUPLICATE = "1"
CODE_INVALID_INPUT = "2"
CODE_API_NOT_FOUND = "3"
CODE_ENTRY_NOT_FOUND = "4"
CODE_NOT_AUTHORIZED = "6"
CODE_NO_SUCH_FILE = "6684674"  # what cinder's REST client expects from the files API
CODE_UNEXPECTED_ARGUMENT = "262179"
CODE_INVALID_FIELD_VALUE = "262197"


class OntapError(Exception):
    """A request ONTAP would refuse: carries the HTTP status and the error body."""

    def __init__(self, status: int, code: str, message: str, target: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target

    def body(self) -> dict[str, Any]:
        """The JSON body ONTAP sends with this error."""
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.target is not None:
            error["target"] = self.target
        return {"error": error}


def api_not_found() -> OntapError:
    return OntapError(404, CODE_API_NOT_FOUND, "API not found")


def method_not_allowed(method: str) -> OntapError:
    return OntapError(405, CODE_API_NOT_FOUND, f'The method "{method}" is not allowed')


def entry_not_found(target: str = "uuid") -> OntapError:
    return OntapError(404, CODE_ENTRY_NOT_FOUND, "entry doesn't exist", target)


def no_such_file(path: str) -> OntapError:
    return OntapError(404, CODE_NO_SUCH_FILE, f'No such file or directory "{path}".', "path")


def not_authenticated() -> OntapError:
    return OntapError(401, CODE_NOT_AUTHORIZED, "Authentication failed.")


def not_authorized() -> OntapError:
    return OntapError(403, CODE_NOT_AUTHORIZED, "not authorized for that command")


def unknown_svm(name: str) -> OntapError:
    return OntapError(400, CODE_INVALID_INPUT, f'SVM "{name}" does not exist.', "X-Dot-SVM-Name")


def unexpected_argument(name: str) -> OntapError:
    return OntapError(400, CODE_UNEXPECTED_ARGUMENT, f'Unexpected argument "{name}".', name)


def invalid_field_value(field: str, value: str) -> OntapError:
    return OntapError(
        400, CODE_INVALID_FIELD_VALUE, f'The value "{value}" is invalid for field "{field}"', field
    )


def value_too_long(field: str, length: int, limit: int) -> OntapError:
    """A query value refused for its length alone (the value is not echoed: it is long)."""
    return OntapError(
        400,
        CODE_INVALID_FIELD_VALUE,
        f'The value for field "{field}" is {length} characters long; at most {limit} are accepted. '
        "Shorten the query value (a run of '*' matches like a single '*').",
        field,
    )


def invalid_input(message: str, target: str | None = None) -> OntapError:
    return OntapError(400, CODE_INVALID_INPUT, message, target)


def duplicate(message: str, target: str | None = None) -> OntapError:
    return OntapError(409, CODE_DUPLICATE, message, target)


def body_too_large(limit: int) -> OntapError:
    return OntapError(413, CODE_INVALID_INPUT, f"Request body is larger than {limit} bytes.")
