"""ECM's four client programs, replayed byte for byte (ECM-PROTOCOL.md; the
programs of ECM's repository: register_client.py, cliente.py,
container_connection.py and the sensor generate_data.py). Written anew for
brink's tests: each function makes the same connections, sends the same bytes
with the same socket calls and does the same reads as the program, and
returns what it received. The one difference: every ECM port is shifted by
`offset` (brink's ecm.port_offset), so tests can run side by side.

Run as a program: ecm_programs.py OFFSET register|service|consumer|sensor ARGS."""
import json
import random
import socket
import sys
import time

BUFFER_SIZE = 1024
TCP_IP = "127.0.0.1"
PORTS = {"register": 10000, "bootstrap": 3000, "analisis": 5005, "listening": 5006,
         "debug": 5010, "info": 5008, "delete": 12000, "stop": 5013, "unsubscribe": 10001,
         "custom": 10002}


def register_client(offset, company):
    """register_client.py -c COMPANY: one send of json.dumps, one recv."""
    message = json.dumps({"company": company})
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((TCP_IP, PORTS["register"] + offset))
    sock.send(message.encode())
    resp = sock.recv(BUFFER_SIZE)
    sock.close()
    return resp


def request_message(client_id, service, mincpus=0.5, maxcpus=1, personalised=0, image="null",
                    lports="default", nports=1, order="null", batch=False, nbatch=10,
                    removed_service=0, values="./data/temp.csv"):
    """cliente.py's json_message, keys in its order, its defaults."""
    if personalised == 1:
        service = "personalised service"
    return json.dumps({
        'id': client_id,
        'cpus': {'min': mincpus, 'max': maxcpus},
        'lports': lports.split(","),
        'nports': nports,
        'data': values,
        'service': {'custom': personalised, 'image': image, 'default_service': service},
        'order': order,
        'batch': 1 if batch else 0,
        'number_values': nbatch,
        'serviceid': removed_service,
    })


def cliente(offset, client_id, service, model_file=None, **kw):
    """cliente.py: one send of the request; for analisis, a recv that must be
    b"model", then the file in 1024-byte sends and one recv; else one recv.
    Returns (first reply, final reply or None)."""
    service = service.lower()
    port = PORTS["custom"] if kw.get("personalised") == 1 else PORTS[service]
    message = request_message(client_id, service, **kw)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((TCP_IP, port + offset))
    sock.send(message.encode())
    if service == "analisis":
        resp = sock.recv(BUFFER_SIZE)
        final = None
        if resp.decode() == "model":
            with open(model_file, 'rb') as f:
                chunk = f.read(BUFFER_SIZE)
                while chunk:
                    sock.send(chunk)
                    chunk = f.read(1024)
            final = sock.recv(BUFFER_SIZE)
        sock.close()
        return resp, final
    resp = sock.recv(BUFFER_SIZE)
    sock.close()
    return resp, None


def container_connection(client_id, port, seconds=3.0, on_connected=None):
    """container_connection.py -p PORT --id KEY: send the key, then recv(1024)
    until the connection closes (here: or `seconds` pass). Returns the
    received chunks."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((TCP_IP, port))
    s.send(client_id.encode())
    if on_connected:
        on_connected()
    chunks, end = [], time.time() + seconds
    s.settimeout(0.1)
    while time.time() < end:
        try:
            resp = s.recv(BUFFER_SIZE)
        except socket.timeout:
            continue
        if not resp:
            break
        chunks.append(resp)
    s.close()
    return chunks


def generate_data(offset, client_id, nbatch=5, frequence=1.0):
    """sensor/generate_data.py --id KEY: the key to bootstrap, json.loads of
    the one recv, int(body) as the device port, then nbatch objects
    {"id","temp","hum"} (values str() of floats), one send each. Returns
    (bootstrap reply, the objects sent)."""
    sockb = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sockb.connect((TCP_IP, PORTS["bootstrap"] + offset))
    sockb.send(client_id.encode())
    resp = sockb.recv(BUFFER_SIZE)
    device_port = json.loads(resp.decode())["body"]
    sent = []
    try:
        int(device_port)
    except ValueError:
        return resp, sent
    sockb.close()
    sockd = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sockd.connect((TCP_IP, int(device_port)))
    for _ in range(nbatch):
        temp = str(random.uniform(20, 40))
        hum = str(random.uniform(30, 70))
        message = json.dumps({"id": client_id, "temp": temp, "hum": hum})
        sockd.send(message.encode())
        sent.append(message)
        time.sleep(frequence)
    sockd.close()
    return resp, sent


def main(argv):
    offset, program, args = int(argv[1]), argv[2], argv[3:]
    if program == "register":
        print("Respuesta recibida: {}".format(register_client(offset, args[0])))
    elif program == "service":
        first, final = cliente(offset, args[0], args[1])
        print("Received resp: {}".format(final if final is not None else first))
    elif program == "consumer":
        for chunk in container_connection(args[0], int(args[1]), float(args[2])):
            print(chunk.decode())
    elif program == "sensor":
        resp, sent = generate_data(offset, args[0], int(args[1]), float(args[2]))
        print("Puerto recibido: {}".format(json.loads(resp.decode())["body"]))
        for m in sent:
            print("sent: {}".format(m))


if __name__ == "__main__":
    main(sys.argv)
