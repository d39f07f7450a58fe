"""Reliable messaging on RabbitMQ (aio-pika).

* :mod:`tables` - the outbox and inbox tables every service migrates into its database;
* :func:`outbox.stage` - record an event in the caller's transaction (transactional outbox);
* :class:`relay.OutboxRelay` - publishes staged events with publisher confirms, in order;
* :class:`consumer.Consumer` - manual ack after commit, inbox dedupe, bounded retries then
  the queue's dead-letter queue;
* :mod:`topology` - exchanges, quorum work queues, their DLQs, fan-out queues.
"""
