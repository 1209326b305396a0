"""What the cost estimate assumes: AWS's prices, Lambda's CPU share, a round trip.

All of them are printed in the report beside the figures they make.
"""

from dataclasses import dataclass
from decimal import Decimal

# Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB.
MEMORY_OF_ONE_VCPU = 1769
AWS_ROUND_TRIP_MS = 5.0
MILLION = 1_000_000


@dataclass(frozen=True)
class Price:
    """An on-demand price in us-east-1 when this was written: an assumption."""

    dollars: Decimal
    per: str
    count: int = MILLION

    @property
    def each(self) -> Decimal:
        return self.dollars / self.count

    def __str__(self) -> str:
        return f"${self.dollars} per {self.per}"


WRITE_UNIT = Price(Decimal("1.25"), "million write request units")
READ_UNIT = Price(Decimal("0.25"), "million read request units")
SQS_REQUEST = Price(Decimal("0.40"), "million requests")
LAMBDA_GB_SECOND = Price(Decimal("0.0000133334"), "GB-s", count=1)
LAMBDA_REQUEST = Price(Decimal("0.20"), "million requests")
HTTP_API_REQUEST = Price(Decimal("1.00"), "million requests")


def cpu_scale(memory_mb: int) -> float:
    return max(1.0, MEMORY_OF_ONE_VCPU / memory_mb)


def lambda_seconds(own_seconds: float, calls: float, memory_mb: int) -> float:
    """Our CPU time stretched to the memory's CPU share, plus a round trip per AWS call."""
    stretched = own_seconds * cpu_scale(memory_mb)
    return stretched + calls * AWS_ROUND_TRIP_MS / 1000
