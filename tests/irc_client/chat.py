#!/usr/bin/env python3
"""An IRC client written by others (the `irc` package from PyPI, its
`irc.client` reactor) against chatd's IRC door, for the integration test
irc_door::a_python_irc_library_chats_with_a_telnet_user.

Usage: chat.py HOST:PORT

Registers as pybot, joins #Weather, waits for a channel message from tina,
answers "hello tina from python" and quits. Prints what it does, a line
each, for the test's failure report; exits 0 when the exchange is done, 1 on
any failure or after a deadline of 20 seconds.
"""

import sys
import time

import irc.client

DEADLINE = 20.0


def log(text):
    print(text, flush=True)


def main():
    host, _, port = sys.argv[1].rpartition(":")
    state = {"answered": False, "done": False}

    reactor = irc.client.Reactor()

    def on_welcome(connection, event):
        log(f"welcome: {event.arguments}")
        connection.join("#Weather")

    def on_join(connection, event):
        log(f"join: {event.source.nick} {event.target}")

    def on_pubmsg(connection, event):
        text = event.arguments[0]
        log(f"pubmsg: {event.source.nick} {event.target} {text!r}")
        if event.source.nick == "tina" and not state["answered"]:
            connection.privmsg("#Weather", "hello tina from python")
            state["answered"] = True
            log("answered")
            connection.quit("python says goodbye")

    def on_error(connection, event):
        log(f"error: {event.target} {event.arguments}")

    def on_disconnect(connection, event):
        log(f"disconnected: {event.arguments}")
        state["done"] = True

    try:
        connection = reactor.server().connect(host, int(port), "pybot")
    except irc.client.ServerConnectionError as e:
        log(f"can't connect to {host}:{port}: {e}")
        return 1
    for kind, handler in [
        ("welcome", on_welcome),
        ("join", on_join),
        ("pubmsg", on_pubmsg),
        ("error", on_error),
        ("disconnect", on_disconnect),
    ]:
        connection.add_global_handler(kind, handler)

    deadline = time.monotonic() + DEADLINE
    while not state["done"]:
        if time.monotonic() > deadline:
            log(f"gave up after {DEADLINE} seconds")
            return 1
        reactor.process_once(timeout=0.2)
    if not state["answered"]:
        log("disconnected before tina said anything")
        return 1
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
