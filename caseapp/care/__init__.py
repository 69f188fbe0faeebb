"""Care around the case workflow: break-glass access and in-app notifications."""
