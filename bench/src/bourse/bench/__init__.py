"""Bourse's benchmarks, one module each (``make help`` names their targets):

* ``engine``: the matching engine alone, against the peer engines installed (make bench);
* ``e2e``: crossing orders through nginx, CPU per order of each program (make bench-e2e),
  its load sent by ``wrk`` or by Python; ``profile_e2e`` samples that load (make
  profile-e2e);
* ``http``: CPU per authenticated read at the edge (make bench-http);
* ``market``: /ws/market clients during bench-e2e's orders (make bench-market);
* ``feed``: trade -> /ws/portfolio update through the stack (make bench-feed);
* ``portfolio_ws``: portfolio-service's WebSocket fan-out on its own (make bench-portfolio);
* ``sql``: CPU of one transaction by the way it is issued (make bench-sql).

Shared: ``gateway`` (where the running stack is), ``processes`` (CPU and memory of
processes), ``stats`` (percentiles).
"""
