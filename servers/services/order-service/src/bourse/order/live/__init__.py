"""Live delivery across instances: :mod:`trade_updates` pushes the trade updates stored by
any instance (PostgreSQL NOTIFY, sent at commit, heard on the instance's LISTEN
connection: bourse.common.listen) to this instance's /ws/trade-updates sockets."""
