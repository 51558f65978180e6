#!/usr/bin/python3
"""A paho MQTT client for the end-to-end tests (python3-paho-mqtt).

  mqtt_client.py sub PORT USER PASS TOPIC SECONDS
      prints "CONNACK <rc>", "SUBACK <granted qos>", then "MSG <topic> <payload>"
      per message, for SECONDS (stdout flushed per line, so a test can watch it)
  mqtt_client.py pub PORT USER PASS TOPIC COUNT
      publishes COUNT readings {"seq":N,"temp":"2N.5"} at QoS 1 over MQTT 5
      and prints "CONNACK <rc>" and one "PUBACK <reason code>" per reading
"""
import sys
import time

import paho.mqtt.client as mqtt


def out(*words):
    print(*words, flush=True)


def subscribe(port, user, password, topic, seconds):
    c = mqtt.Client(protocol=mqtt.MQTTv311)
    c.username_pw_set(user, password)
    c.on_connect = lambda cl, ud, flags, rc: (out("CONNACK", rc),
                                              rc == 0 and cl.subscribe(topic, 0))
    c.on_subscribe = lambda cl, ud, mid, granted: out("SUBACK", *granted)
    c.on_message = lambda cl, ud, m: out("MSG", m.topic, m.payload.decode(errors="replace"))
    c.connect("127.0.0.1", port, 30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        c.loop(timeout=0.1)
    c.disconnect()


def publish(port, user, password, topic, count):
    c = mqtt.Client(protocol=mqtt.MQTTv5)
    c.username_pw_set(user, password)
    acks = []
    c.on_connect = lambda cl, ud, flags, rc, props: out("CONNACK", rc.value)
    c.on_publish = lambda cl, ud, mid: acks.append(mid)
    c.connect("127.0.0.1", port, 30)
    end = time.monotonic() + 5
    while not c.is_connected() and time.monotonic() < end:
        c.loop(timeout=0.1)
    if not c.is_connected():
        out("NOCONN")
        return
    infos = [c.publish(topic, '{"seq":%d,"temp":"2%d.5"}' % (i, i), qos=1) for i in range(count)]
    while len(acks) < count and time.monotonic() < end + 5:
        c.loop(timeout=0.1)
    for info in infos:
        out("PUBACK", "ok" if info.mid in acks else "missing")
    c.disconnect()


def main():
    what, port, user, password, topic, n = sys.argv[1:7]
    if what == "sub":
        subscribe(int(port), user, password, topic, float(n))
    else:
        publish(int(port), user, password, topic, int(n))


if __name__ == "__main__":
    main()
