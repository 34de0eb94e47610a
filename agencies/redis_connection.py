"""redis-py's asyncio connection, writing a command without a task of its own.

redis-py bounds every write by ``socket_timeout`` with ``asyncio.wait_for``, which makes a task
for each command. The gateway makes about ten Redis round trips a message, and those tasks were
a tenth of its CPU (py-spy, issue 26). A write to a socket with room in its buffer is done at
once, so here only a write that has to wait for room is bounded; reads keep their time-out.
Pass ``connection_class=Connection`` to a pool or ``from_url``.
"""

from __future__ import annotations

import asyncio
from typing import Any, Iterable, Union

import redis.asyncio
from redis.exceptions import ConnectionError, TimeoutError


class Connection(redis.asyncio.Connection):
    async def send_packed_command(self, command: Union[bytes, str, Iterable[bytes]], check_health: bool = True) -> None:
        if not self.is_connected:
            await self.connect_check_health(check_health=False)
        if check_health:
            await self.check_health()
        if isinstance(command, str):
            command = command.encode()
        if isinstance(command, bytes):
            command = [command]
        writer: Any = self._writer
        try:
            writer.writelines(command)
            if writer.transport.is_closing() or writer.transport.get_write_buffer_size():
                # Redis is not reading (or the socket is gone): wait for room, within the time-out.
                await asyncio.wait_for(writer.drain(), self.socket_timeout)
        except asyncio.TimeoutError:
            await self.disconnect(nowait=True)
            raise TimeoutError("Timeout writing to socket") from None
        except OSError as error:
            await self.disconnect(nowait=True)
            raise ConnectionError(f"Error while writing to socket: {error}") from error
        except BaseException:
            # Part of the command may be written: the connection cannot be used again.
            await self.disconnect(nowait=True)
            raise
