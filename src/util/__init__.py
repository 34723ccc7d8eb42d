"""Settings, errors, message templates and logging shared by every layer."""

__all__: list[str] = []
