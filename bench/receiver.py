"""A fast webhook receiver on loopback: a plain asyncio HTTP/1.1 server in its own process."""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.process import BaseProcess

from bench.processes import free_port


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def _receive(port: int) -> None:
    async def serve() -> None:
        server = await asyncio.start_server(_handle, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def start_receiver() -> tuple[BaseProcess, str]:
    """The receiver's process (terminate it when done) and the URL that reaches it."""
    port = free_port()
    process = multiprocessing.Process(target=_receive, args=(port,), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{port}/hook"
