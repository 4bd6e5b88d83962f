"""A TCP proxy to a database server that a test can cut off and bring back, as if the server died."""

import contextlib
import socket
import threading


class TcpProxy:
    """Forward 127.0.0.1:<port> to a database server; stop() makes it look like the server died.

    start() after stop() listens on the same port again, as if the server came back: clients
    configured with the proxy's port reconnect without being told anything.
    """

    def __init__(self, target_host, target_port):
        self.target = (target_host, int(target_port))
        self.port = 0  # chosen by the first start(), kept by the next ones
        self.listener = None
        self.stopped = False
        self.placeholder = None  # while stopped: bound, not listening, so nobody else takes the port
        self.sockets = []
        self.connections = 0  # accepted and forwarded, in all: shows when clients come back
        self.lock = threading.Lock()
        self.start()

    def start(self):
        """Listen on 127.0.0.1:<port> (a free port the first time) and forward what arrives."""
        # create_server sets SO_REUSEADDR: the port is free again at once after stop().
        with self.lock:
            if self.placeholder is not None:
                self.placeholder.close()
                self.placeholder = None
            self.listener = socket.create_server(("127.0.0.1", self.port))
            self.stopped = False
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                return  # listener closed by stop()
            server.settimeout(None)
            with self.lock:
                if listener is not self.listener or self.stopped:
                    # stop() ran while this connection was being set up: it must not survive it.
                    for sock in (client, server):
                        sock.close()
                    return
                self.sockets += [client, server]
                self.connections += 1
            threading.Thread(target=self.pump, args=(client, server), daemon=True).start()
            threading.Thread(target=self.pump, args=(server, client), daemon=True).start()

    @staticmethod
    def pump(source, destination):
        try:
            while data := source.recv(65536):
                destination.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, destination):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self):
        """Refuse new connections and cut the open ones."""
        with self.lock:
            self.stopped = True
            # shutdown() first: on Linux a bare close() leaves the blocked accept() listening.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            # Keep the port: on a shared machine another test's proxy could be given it and answer.
            # Bound without listen(), it refuses connections like a dead server's port.
            self.placeholder = socket.socket()
            self.placeholder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.placeholder.bind(("127.0.0.1", self.port))
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()
