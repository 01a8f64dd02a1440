#!/usr/bin/python3
"""Reads key files the way GLib does, as the oracle of the desktop entry
parser's differential test and fuzz target.

Input on stdin: records of a 4-byte big-endian length and that many bytes.
Output on stdout: one JSON object a record, flushed at once:

  {"ok": false, "error": "..."}                  GLib refuses the file
  {"ok": BOOL, "opaque": true}                   not UTF-8 or with a NUL:
                                                 whether GLib loads it, but not
                                                 what it reads (PyGObject cannot
                                                 show such content safely)
  {"ok": true, "start": GROUP, "groups": [[GROUP, [[KEY, RAW, STR, STRICT,
   BOOL, SHELL], ...]], ...], "shell": SHELL}

RAW is g_key_file_get_value, STR and STRICT what g_key_file_get_string
returns and whether it reported no error (2.74 returns the string even
then: STR is null when it raised), BOOL g_key_file_get_boolean or null.
SHELL is what g_shell_parse_argv makes of STR as a command line (as a menu
splits Exec), ["ok", ARGV] or ["error", MESSAGE], null without STR; the
last SHELL is that of the whole record, null when it is not UTF-8.
"""
import ctypes
import ctypes.util
import json
import struct
import sys
import warnings

warnings.simplefilter("ignore")
from gi.repository import GLib  # noqa: E402


def shell(text):
    try:
        return ["ok", list(GLib.shell_parse_argv(text)[1])]
    except GLib.Error as e:
        return ["error", e.message]


# Whether GLib loads a file is asked of the C library directly: PyGObject
# crashes turning an error message that quotes bytes beyond UTF-8 into a
# Python string.
libglib = ctypes.CDLL(ctypes.util.find_library("glib-2.0") or "libglib-2.0.so.0")
libglib.g_key_file_new.restype = ctypes.c_void_p
libglib.g_key_file_load_from_data.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_void_p]
libglib.g_key_file_free.argtypes = [ctypes.c_void_p]


def loads(data):
    kf = libglib.g_key_file_new()
    try:
        return bool(libglib.g_key_file_load_from_data(kf, data, len(data), int(GLib.KeyFileFlags.KEEP_TRANSLATIONS), None))
    finally:
        libglib.g_key_file_free(kf)


def read(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is None or "\0" in text:
        return {"ok": loads(data), "opaque": True, "error": "(not shown)"}
    kf = GLib.KeyFile()
    try:
        kf.load_from_bytes(GLib.Bytes.new(data), GLib.KeyFileFlags.KEEP_TRANSLATIONS)
    except GLib.Error as e:
        return {"ok": False, "error": e.message}
    groups = []
    for g in kf.get_groups()[0]:
        keys, seen = [], set()
        for k in kf.get_keys(g)[0]:
            if k in seen:
                continue
            seen.add(k)
            raw = kf.get_value(g, k)
            try:
                s, strict = kf.get_string(g, k), True
            except GLib.Error:
                s, strict = None, False
            try:
                b = kf.get_boolean(g, k)
            except GLib.Error:
                b = None
            keys.append([k, raw, s, strict, b, shell(s) if s is not None else None])
        groups.append([g, keys])
    return {"ok": True, "start": kf.get_start_group(), "groups": groups, "shell": shell(text)}


def main():
    inp, out = sys.stdin.buffer, sys.stdout
    while True:
        head = inp.read(4)
        if len(head) < 4:
            return
        (n,) = struct.unpack(">I", head)
        data = inp.read(n)
        out.write(json.dumps(read(data)) + "\n")
        out.flush()


main()
