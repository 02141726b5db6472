"""AYON gateway: the ServerAPI factory, bulk reads into snapshots, bulk writes of plans."""
