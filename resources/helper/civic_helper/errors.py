"""Failures the helper reports as `error` messages, with codes the app already knows."""

# Codes shared with the app's ErrorCode union (preload/api.ts). Helper detail goes in `detail`.
VM_BUSY = "VM_BUSY"
VM_NOT_CLONEABLE = "VM_NOT_CLONEABLE"
IMPACT_BUDGET_EXCEEDED = "IMPACT_BUDGET_EXCEEDED"
CANCELLED = "CANCELLED"
HELPER_FAILED = "HELPER_FAILED"
VALIDATION_FAILED = "VALIDATION_FAILED"
NOT_FOUND = "NOT_FOUND"
LOAD_TARGET_REFUSED = "LOAD_TARGET_REFUSED"

CODES = (VM_BUSY, VM_NOT_CLONEABLE, IMPACT_BUDGET_EXCEEDED, CANCELLED, HELPER_FAILED, VALIDATION_FAILED, NOT_FOUND,
         LOAD_TARGET_REFUSED)

_HINTS = {
    VM_BUSY: "A clone of this VM exists or another job holds it. Destroy the clone or wait for the job.",
    VM_NOT_CLONEABLE: "This VM cannot be cloned safely; the message says why.",
    IMPACT_BUDGET_EXCEEDED: "Cloning would pause production longer than allowed. The VM was resumed; try again later.",
    CANCELLED: "The work was cancelled and rolled back. Start it again when ready.",
    HELPER_FAILED: "The host helper failed. Its message says what; the session journal has details.",
    VALIDATION_FAILED: "The helper was called with arguments it does not accept.",
    NOT_FOUND: "It may have been destroyed already. List the clones and try again.",
    LOAD_TARGET_REFUSED: "The load driver aims only at the twin's forwards on 127.0.0.1 or ::1. Pick a forwarded port.",
}


class HelperError(Exception):
    """An expected failure with an app error code, a sentence, a hint and optional detail."""

    def __init__(self, code, message, hint=None, detail=None):
        super().__init__(message)
        assert code in CODES, code
        self.code = code
        self.message = message
        self.hint = hint or _HINTS[code]
        self.detail = detail or {}

    def to_message(self):
        """The `error` protocol message for this failure."""
        message = {"type": "error", "code": self.code, "message": self.message, "hint": self.hint}
        if self.detail:
            message["detail"] = self.detail
        return message


class Cancelled(HelperError):
    """Raised where a cancel request or a signal interrupts the work."""

    def __init__(self, reason="cancel requested"):
        super().__init__(CANCELLED, "The operation was cancelled (%s)." % reason, detail={"reason": reason})


def failed(message, **detail):
    """A HELPER_FAILED error with detail fields."""
    return HelperError(HELPER_FAILED, message, detail=detail)


def invalid(message, **detail):
    """A VALIDATION_FAILED error with detail fields."""
    return HelperError(VALIDATION_FAILED, message, detail=detail)
