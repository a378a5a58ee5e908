"""Parley's runner: executes task worlds with human workers (over a websocket) and bots,
writing every step through `datastore.MTurkDataHandler`."""
