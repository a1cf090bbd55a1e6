"""The sandbox's demo data: a deterministic e-commerce and email-marketing brand.

See docs/demo-data.md for the shapes other features rely on.
"""

from profileviewer.sandbox.demo.seeding import SeedResult, plan_people, seed, total_profiles

__all__ = ["SeedResult", "plan_people", "seed", "total_profiles"]
