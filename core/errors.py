"""The one exception type for problems a user can fix."""


class TextgenError(Exception):
    """A problem the user can fix; shown as one line, exit code 2."""
