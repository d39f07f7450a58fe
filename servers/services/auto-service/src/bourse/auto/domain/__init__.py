"""auto-service's rules: schedules, order specs, alert conditions and run outcomes.
Plain Python, no I/O."""
