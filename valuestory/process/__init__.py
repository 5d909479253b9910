"""Process plumbing: settings, logs, metrics and health, shared by every front end."""
