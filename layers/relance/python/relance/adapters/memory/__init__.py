"""In-memory implementations of every port (relance.ports), shipped with the package.

They run the whole daily path in memory: unit tests of the services, `relance replay` of a book's last two
years, the preview and the fault-injection tests. The contract tests (tests/unit/ports) hold them to the
same behaviour as the AWS adapters on moto's server.
"""

from relance.adapters.memory.book import MemoryBook
from relance.adapters.memory.context import MemoryContext, memory_context, memory_settings
from relance.adapters.memory.log import MemoryEventLog
from relance.adapters.memory.outbox import MemoryBus, MemoryMailer, MemoryQueue, SentMail
from relance.adapters.memory.store import MemoryStore

__all__ = [
    "MemoryBook",
    "MemoryBus",
    "MemoryContext",
    "MemoryEventLog",
    "MemoryMailer",
    "MemoryQueue",
    "MemoryStore",
    "SentMail",
    "memory_context",
    "memory_settings",
]
