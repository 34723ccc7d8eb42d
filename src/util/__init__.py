"""Settings, errors, message templates and logging shared by every layer."""
