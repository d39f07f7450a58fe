"""Live delivery across instances: :mod:`feed` LISTENs for notifications stored by any
instance (PostgreSQL NOTIFY, sent at commit), :mod:`hub` pushes them to this instance's
WebSockets."""
