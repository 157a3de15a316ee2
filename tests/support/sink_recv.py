# sink_recv.py OUT: a stand-in for the sinks' receivers on 127.0.0.1, port 0
# (printed on stdout): Alertmanager's webhook (POST /am..., answered 200)
# and PagerDuty's Events API (any other POST path, answered 202 as PagerDuty
# does). Every request is appended to OUT as one JSON line {"path", "body"}.
import http.server, json, socketserver, sys

out = open(sys.argv[1], "a")


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("content-length", "0"))
        body = json.loads(self.rfile.read(n))
        out.write(json.dumps({"path": self.path, "body": body}, sort_keys=True) + "\n")
        out.flush()
        answer = b'{"status":"success","message":"Event processed"}'
        self.send_response(200 if self.path.startswith("/am") else 202)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *a):
        pass


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = S(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
