"""End-to-end checks of brink's ECM front end with ECM's own client programs
replayed byte for byte (ecm_programs.py). Prints "CHECK 1|0 name" lines for
t_ecm.sh. Usage: ecm_checks.py OFFSET PHASE STATEFILE [DOCKER_NOTE] where
PHASE is main, after_restart or bad_input."""
import json
import os
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import ecm_programs as ecm  # noqa: E402

OFFSET = int(sys.argv[1])
PHASE = sys.argv[2]
STATE = sys.argv[3]


def check(name, ok, got=None):
    if not ok and got is not None:
        print("got: {!r}".format(got)[:400], flush=True)
    print("CHECK {} {}".format(1 if ok else 0, name), flush=True)
    return ok


def reply(status, body):
    """ECM's reply bytes: Python's json.dumps of {"status", "body"}."""
    return json.dumps({"status": status, "body": body}).encode()


def body(resp):
    return json.loads(resp.decode())["body"]


def raw(port, data, pause=0.0, read=True, shut=False):
    """Sends data (bytewise with `pause` between bytes when pause > 0) to an
    ECM port; returns everything read until the server closes."""
    s = socket.create_connection(("127.0.0.1", port + OFFSET), timeout=5)
    if pause:
        for b in data:
            s.send(bytes([b]))
            time.sleep(pause)
    elif data:
        s.send(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = b""
    if read:
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            out += b"<timeout>"
    s.close()
    return out


def service_reply(key, service, **kw):
    return ecm.cliente(OFFSET, key, service, **kw)[0]


def sensor_to_consumer(key, lport, n, seconds=3.0):
    """The sensor program sends n readings while the consumer program reads;
    returns (the chunks received, the objects sent)."""
    sent = []
    started = threading.Event()

    def sensor():
        started.wait(5)
        time.sleep(0.3)
        sent.extend(ecm.generate_data(OFFSET, key, nbatch=n, frequence=0.1)[1])
    t = threading.Thread(target=sensor)
    t.start()
    chunks = ecm.container_connection(key, lport, seconds=seconds, on_connected=started.set)
    t.join()
    return chunks, sent


def objects(data):
    """The JSON objects of a stream with no delimiter, with their keys in order."""
    dec, out, i = json.JSONDecoder(object_pairs_hook=lambda p: p), [], 0
    text = data.decode()
    while i < len(text):
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
    return out


SERVICE_OK = re.compile(r"^Puedes conectarte al contenedor a traves del puerto (\d+)\. "
                        r"El ID del servicio es (\d+)\.$")


def main_phase():
    resp = ecm.register_client(OFFSET, "acme")
    m = re.match(rb'^\{"status": "OK", "body": "Perfil de cliente registrado con exito\. '
                 rb"ID de identificacion: '([0-9a-f]{40})'\.\"\}$", resp)
    check("register: ECM's exact reply with a 40-hex key, no newline", m is not None, resp)
    key = m.group(1).decode() if m else "x" * 40
    check("register: a taken name gets ECM's exact error",
          ecm.register_client(OFFSET, "acme") ==
          reply("ERROR", "Los datos proporcionados no son validos (nombre repetido)."))
    other = body(ecm.register_client(OFFSET, "beta")).split("'")[1]
    check("register: two tenants get different keys", other != key)

    sock = socket.create_connection(("127.0.0.1", 3000 + OFFSET))
    sock.send(key.encode())
    boot = sock.recv(1024)
    sock.close()
    device = int(body(boot)) if boot.startswith(b'{"status": "OK"') else 0
    check("bootstrap: the key gets the tenant's device port as a decimal string",
          boot == reply("OK", str(device)) and device > 0)
    check("bootstrap: an unknown key gets ECM's exact error",
          raw(3000, b"f" * 40) == reply("ERROR", "ERROR: No existe compania con el ID proporcionado"))

    resp = service_reply(key, "listening")
    m = SERVICE_OK.match(body(resp)) if resp.startswith(b'{"status": "OK"') else None
    check("listening: ECM's exact reply naming the listening port (device port + 1)",
          m is not None and int(m.group(1)) == device + 1)
    lport, number = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    check("info: ECM's sentence with the service, its CPUs and its type",
          service_reply(key, "info") == reply("OK", "Tienes 1 contenedores ejecutandose: "
                                              "[ID: {}, CPUs: 1, tipo: listening]".format(number)))
    check("listening again while it runs: ECM's 'no ports' error",
          body(service_reply(key, "listening")).startswith(
              "No hay puertos disponibles para acceder al contenedor"))

    # the sensor program and the consumer program, together
    sent = []
    started = threading.Event()

    def sensor():
        started.wait(5)
        time.sleep(0.3)
        sent.extend(ecm.generate_data(OFFSET, key, nbatch=5, frequence=0.2)[1])
    t = threading.Thread(target=sensor)
    t.start()
    chunks = ecm.container_connection(key, lport, seconds=3.0, on_connected=started.set)
    t.join()
    got = b"".join(chunks)
    want = "".join(json.dumps({k: v for k, v in json.loads(m).items() if k != "id"})
                   for m in sent).encode()
    check("sensor -> consumer: the readings arrive as ECM's container sent them "
          "(objects without id, back to back, no newline)", len(sent) == 5 and got == want)

    # another tenant's key, on acme's ports and for acme's service
    check("consumer: another tenant's key gets ECM's refusal and the connection closes",
          ecm.container_connection(other, lport, seconds=2.0) == [b"ERROR. Conexion no permitida"])
    s = socket.create_connection(("127.0.0.1", device))
    s.send(json.dumps({"id": other, "temp": "1.0", "hum": "2.0"}).encode())
    s.settimeout(3)
    try:
        closed = s.recv(1024) == b""
    except (socket.timeout, ConnectionResetError):
        closed = False
    s.close()
    check("device port: an object with another tenant's key closes the connection", closed)
    check("stop: another tenant's service number is refused like an unknown one",
          service_reply(other, "stop", removed_service=number) ==
          reply("ERROR", "No hay un servicio ejecutandose con ID {}".format(number)))
    check("remove: another tenant's service number is refused",
          service_reply(other, "delete", removed_service=number) ==
          reply("ERROR", "El ID de servicio no existe ({})".format(number)))
    check("the owner's service still runs after the refused stop and remove",
          b"tipo: listening" in service_reply(key, "info"))
    check("an unknown key gets ECM's exact error",
          service_reply("0" * 40, "info") ==
          reply("ERROR", "El ID provisto no corresponde con ningun cliente registrado"))

    check("stop: ECM's exact reply",
          service_reply(key, "stop", removed_service=number) ==
          reply("OK", "El servicio {} ha sido parado correctamente".format(number)))
    check("info after stop: none running",
          service_reply(key, "info") ==
          reply("OK", "No tienes contenedores ejecutandose en estos momentos"))
    check("stop of a stopped service: ECM's error",
          body(service_reply(key, "stop", removed_service=number)).startswith(
              "No hay un servicio ejecutandose"))
    check("listening after stop starts the same service again (ECM's docker start)",
          SERVICE_OK.match(body(service_reply(key, "listening"))) is not None and
          "ID: {},".format(number) in body(service_reply(key, "info")))
    with open(STATE, "w") as f:
        json.dump({"key": key, "other": other, "device": device, "lport": lport,
                   "number": number}, f)


def after_restart():
    st = json.load(open(STATE))
    key, number = st["key"], st["number"]
    sock = socket.create_connection(("127.0.0.1", 3000 + OFFSET))
    sock.send(key.encode())
    check("after a restart: bootstrap gives the same device port",
          sock.recv(1024) == reply("OK", str(st["device"])))
    sock.close()
    check("after a restart: the service runs again under the same number",
          "[ID: {}, CPUs: 1, tipo: listening]".format(number) in body(service_reply(key, "info")))
    sent = []
    started = threading.Event()

    def sensor():
        started.wait(5)
        time.sleep(0.3)
        sent.extend(ecm.generate_data(OFFSET, key, nbatch=3, frequence=0.1)[1])
    t = threading.Thread(target=sensor)
    t.start()
    got = b"".join(ecm.container_connection(key, st["lport"], seconds=2.0,
                                            on_connected=started.set))
    t.join()
    check("after a restart: sensor -> consumer still flows", len(sent) == 3 and got.count(b"{") == 3)

    check("remove: ECM's exact reply",
          service_reply(key, "delete", removed_service=number) ==
          reply("OK", "El servicio {} ha sido eliminado correctamente".format(number)))
    check("info after remove: none",
          body(service_reply(key, "info")) == "No tienes contenedores ejecutandose en estos momentos")
    check("consumer with no service behind the port: closed at once",
          ecm.container_connection(key, st["lport"], seconds=2.0) == [])

    resp = service_reply(key, "custom", personalised=1, image="brink-test/echo:1",
                         lports="5050,5051", nports=2)
    note = sys.argv[4] if len(sys.argv) > 4 else ""
    if note:
        print("SKIP custom service end to end: " + note)
        check("custom: fails cleanly with ECM's error reply (no docker runtime)",
              resp.startswith(b'{"status": "ERROR", "body": "Servicio no disponible') and
              b"docker" in resp and
              body(service_reply(key, "info")).startswith("No tienes"))

    analysis(key, st["lport"])

    check("unsubscribe: ECM's exact reply",
          service_reply(key, "unsubscribe") == reply("OK", "Tu cuenta ha sido existosamente eliminada"))
    check("after unsubscribe the key is unknown",
          body(service_reply(key, "info")) == "El ID provisto no corresponde con ningun cliente registrado")
    try:
        socket.create_connection(("127.0.0.1", st["device"]), timeout=2).close()
        refused = False
    except OSError:
        refused = True
    check("after unsubscribe the tenant's device port is closed", refused)


def make_model(path):
    """A Keras-layout .h5 (tests/analyze/keras_models.py: 2 inputs, temp and
    hum, one sigmoid output) whose size is a multiple of 1024: the length ECM's
    end-of-upload rule (a read shorter than 1024) could not see."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "analyze"))
    import keras_models as km
    import numpy as np
    layers = km.random_layers([2, 4, 1], ["relu", "sigmoid"])

    def write(pad):
        km.write_full(path, layers, extra=lambda f: f.create_dataset(
            "pad", data=np.zeros(pad, dtype="uint8")))
    write(4096)  # over the small-data block, so the file grows by one byte per element
    write(4096 + (1024 - os.path.getsize(path) % 1024) % 1024)
    return os.path.getsize(path)


ALERTS = ("Alerta por condiciones inapropiadas", "Condiciones apropiadas")


def analysis(key, lport):
    model = os.path.join(os.path.dirname(STATE), "model.h5")
    check("the test model's size is a multiple of 1024", make_model(model) % 1024 == 0)
    first, final = ecm.cliente(OFFSET, key, "analisis", model_file=model,
                               order="{1:'temp',2:'hum'}")
    check("analysis: ECM's handshake, the raw bytes 'model' first", first == b"model")
    m = SERVICE_OK.match(body(final)) if final and final.startswith(b'{"status": "OK"') else None
    check("analysis (per datum): after the whole .h5 upload, ECM's reply naming the listening "
          "port", m is not None and int(m.group(1)) == lport)
    number = int(m.group(2)) if m else 0
    check("info names it with type analisis",
          "[ID: {}, CPUs: 1, tipo: analisis]".format(number) in body(service_reply(key, "info")))
    chunks, sent = sensor_to_consumer(key, lport, 4)
    got = objects(b"".join(chunks))
    want = [json.loads(x) for x in sent]
    check("analysis per datum: the consumer gets {temp, hum, msg} per reading, ECM's messages",
          len(got) == 4 and all([k for k, _ in o] == ["temp", "hum", "msg"] and
                                dict(o)["temp"] == w["temp"] and dict(o)["msg"] in ALERTS
                                for o, w in zip(got, want)))
    check("analysis: remove",
          body(service_reply(key, "delete", removed_service=number)).endswith("eliminado correctamente"))
    first, final = ecm.cliente(OFFSET, key, "analisis", model_file=model,
                               order="{1:'temp',2:'hum'}", batch=True, nbatch=3)
    m = SERVICE_OK.match(body(final)) if final and final.startswith(b'{"status": "OK"') else None
    check("analysis (batch of 3): ECM's reply", first == b"model" and m is not None)
    chunks, sent = sensor_to_consumer(key, lport, 6)
    got = objects(b"".join(chunks))
    check("analysis in batches: the consumer gets {msg, nalerts} per 3 readings",
          len(got) == 2 and all([k for k, _ in o] == ["msg", "nalerts"] and
                                dict(o)["msg"] in ALERTS and 0 <= dict(o)["nalerts"] <= 3
                                for o in got))
    service_reply(key, "delete", removed_service=int(m.group(2)) if m else 0)
    import sqlite3
    db = sqlite3.connect("file:{}?mode=ro".format(os.path.join(os.path.dirname(STATE), "brink.db")),
                         uri=True)
    left = db.execute("SELECT count(*) FROM models").fetchone()[0]
    db.close()
    check("removing the analysis services removed the models they brought", left == 0, left)
    first, final = ecm.cliente(OFFSET, key, "analisis", model_file=model, order="null")
    check("analysis without a column order: an error instead of 'model'",
          first.startswith(b'{"status": "ERROR"') and final is None)
    bad = os.path.join(os.path.dirname(STATE), "bad.h5")
    with open(bad, "wb") as f:
        f.write(b"GIF89a not a model" * 100)
    first, final = ecm.cliente(OFFSET, key, "analisis", model_file=bad, order="{1:'temp'}")
    check("analysis with a file that is not HDF5: ECM error after 'model'",
          first == b"model" and final is not None and final.startswith(b'{"status": "ERROR"'))
    check("and nothing was left behind", body(service_reply(key, "info")).startswith("No tienes"))


def bad_input():
    key = body(ecm.register_client(OFFSET, "gamma")).split("'")[1]
    msg = ecm.request_message(key, "info").encode()
    check("a request sent one byte per TCP segment is answered",
          body(raw(5008, msg, pause=0.002)).startswith("No tienes contenedores"))
    for port in (10000, 3000, 5006, 5005, 10002, 5008, 5013, 12000, 10001):
        raw(port, b"", read=False)
        raw(port, b"", shut=True)
    check("empty connections on every port: the server keeps serving",
          body(ecm.register_client(OFFSET, "delta")).startswith("Perfil de cliente registrado"))
    big = b'{"id": "' + b"a" * 5000 + b'"}'
    check("an oversize request gets an ECM error",
          body(raw(5008, big)).startswith("Peticion demasiado grande"))
    wrong = [{"id": key, "cpus": "x"}, {"id": key, "nports": "two"}, {"id": 5},
             {"id": key, "serviceid": "abc"}, {"id": key, "cpus": {"min": 2, "max": 1}},
             {"id": key, "lports": ["5050", "6000"], "nports": 2, "service": {"custom": 1,
                                                                              "image": "x"}}]
    ports = [5008, 5006, 5008, 5013, 5006, 10002]
    ok = all(body(raw(p, json.dumps(w).encode())).startswith("Peticion no valida")
             for p, w in zip(ports, wrong))
    check("wrong types and values get 'Peticion no valida' errors", ok)
    check("stop without a serviceid gets an error",
          body(raw(5013, json.dumps({"id": key}).encode())).startswith("Peticion no valida"))
    check("garbage gets an ECM error", body(raw(5006, b"\x00\xffgarbage{")).startswith("Peticion no valida"))
    check("a JSON array is refused", body(raw(10000, b"[1, 2]")).startswith("Peticion no valida"))
    check("a half request and EOF get 'Peticion incompleta'",
          body(raw(5008, msg[:20], shut=True)) == "Peticion incompleta")
    check("a half request and silence: ECM error after ecm.timeout_ms",
          body(raw(5008, msg[:20])).startswith("Peticion incompleta"))
    check("an unknown bootstrap key split over segments gets the error",
          body(raw(3000, b"0123456789abcdef0123456789abcdef01234567", pause=0.002)) ==
          "ERROR: No existe compania con el ID proporcionado")
    idle = [socket.create_connection(("127.0.0.1", 5008 + OFFSET)) for _ in range(30)]
    t0 = time.time()
    answered = body(raw(5008, msg)).startswith("No tienes")
    check("30 idle connections do not hold up a request", answered and time.time() - t0 < 1.0)
    for s in idle:
        s.close()
    check("non-ASCII split inside a UTF-8 sequence is handled",
          body(raw(10000, json.dumps({"company": "caf\u00e9"}, ensure_ascii=False).encode("utf-8"),
                   pause=0.002)).startswith("Los datos proporcionados no son validos"))
    dev = int(body(raw(3000, key.encode())))
    s = socket.create_connection(("127.0.0.1", dev))
    s.send(b"not json at all")
    s.settimeout(3)
    try:
        closed = s.recv(1024) == b""
    except OSError:
        closed = True
    s.close()
    check("device port: garbage closes that connection", closed)
    s = socket.create_connection(("127.0.0.1", dev))
    s.settimeout(5)
    t0 = time.time()
    try:
        closed = s.recv(1024) == b""
    except OSError:
        closed = True
    s.close()
    check("device port: a silent connection is closed after ecm.timeout_ms",
          closed and time.time() - t0 < 3)
    check("and the front end still serves", body(raw(5008, msg)).startswith("No tienes"))


def custom_phase():
    """ECM's custom service on the docker runtime (t_docker_ecm.sh): argv[4] is
    the address where the test engine's published ports answer."""
    import urllib.request
    ip = sys.argv[4]
    key = body(ecm.register_client(OFFSET, "dk")).split("'")[1]
    other = body(ecm.register_client(OFFSET, "dk2")).split("'")[1]
    resp = service_reply(key, "custom", personalised=1, image="brink/test:1", lports="80", nports=1)
    m = re.match(r"^Puedes conectarte al servicio a traves de los puertos \['(\d+)'\]\. "
                 r"El ID del servicio es (\d+)$", body(resp)) if resp.startswith(b'{"status": "OK"') else None
    check("custom: ECM's exact reply with the host port, after the image is ready", m is not None, resp)
    port, number = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    page = b""
    for _ in range(30):
        try:
            page = urllib.request.urlopen("http://{}:{}/".format(ip, port), timeout=1).read()
            break
        except OSError:
            time.sleep(0.1)
    check("custom: the container's port answers on the host port", b"brink test image" in page, page)
    check("info: the custom service, type custom",
          "[ID: {}, CPUs: ".format(number) in body(service_reply(key, "info")) and
          "tipo: custom]" in body(service_reply(key, "info")))
    check("stop: another tenant's custom service is refused",
          body(service_reply(other, "stop", removed_service=number)).startswith("No hay un servicio"))
    check("stop: ECM's exact reply",
          service_reply(key, "stop", removed_service=number) ==
          reply("OK", "El servicio {} ha sido parado correctamente".format(number)))
    check("remove: ECM's exact reply",
          service_reply(key, "delete", removed_service=number) ==
          reply("OK", "El servicio {} ha sido eliminado correctamente".format(number)))
    resp = service_reply(key, "custom", personalised=1, image="brink/absent:1", lports="80", nports=1)
    check("custom with an image that does not exist: ECM's error, nothing left",
          resp.startswith(b'{"status": "ERROR"') and
          body(service_reply(key, "info")).startswith("No tienes"), resp)
    resp = service_reply(key, "custom", personalised=1, image="Bad Image;rm -rf /", lports="80", nports=1)
    check("custom with an invalid image reference: ECM's error", resp.startswith(b'{"status": "ERROR"'), resp)


try:
    {"main": main_phase, "after_restart": after_restart, "bad_input": bad_input,
     "custom": custom_phase}[PHASE]()
    check("the checks ran to their end", True)
except Exception:  # a check that crashed is a failure, with its traceback
    import traceback
    traceback.print_exc()
    check("the checks ran to their end", False)
