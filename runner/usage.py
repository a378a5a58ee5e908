"""The error the runner's commands turn into one sentence and exit code 2."""


class UsageError(Exception):
    """Bad arguments or a refused launch: the message is the sentence the command prints."""
