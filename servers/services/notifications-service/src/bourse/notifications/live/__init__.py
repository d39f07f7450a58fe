"""Live delivery across instances: the instance's LISTEN connection (bourse.common.listen)
hears of the notifications stored by any instance (PostgreSQL NOTIFY, sent at commit;
:mod:`feed` reads what it says), :mod:`hub` pushes them to this instance's WebSockets."""
