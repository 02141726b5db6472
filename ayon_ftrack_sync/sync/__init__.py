"""Pure sync domain: names, identity, snapshots, matching and planning. No I/O, no Temporal.

Activities fetch snapshots from the servers, hand them to these functions and apply the
resulting plan; everything here is deterministic and tested with hypothesis.
"""
