#!/usr/bin/env python3
"""Writes a man page from a built program's own help, so that it never
drifts from it: `vknn --help` gives the commands, `vknn COMMAND --help`
each command's options; vknn-render has one --help.

  vknn-man.py PROGRAM VERSION OUT.1 SUMMARY
"""
import os
import re
import subprocess
import sys


def run_help(vknn, *args):
    # --help prints and exits 0 without touching a Vulkan device. In a
    # sanitizer build (build-san) the exit() of --help is no leak to report.
    env = {"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin", "ASAN_OPTIONS": "detect_leaks=0"}
    out = subprocess.run([vknn, *args, "--help"], capture_output=True, text=True, env=env,
                         check=True).stdout
    return out.rstrip("\n")


def roff(text):
    """Plain text as roff: backslashes, leading dots and quotes, minus signs."""
    lines = []
    for line in text.split("\n"):
        line = line.replace("\\", "\\e").replace("-", "\\-").replace("\u2026", "...").replace(
            "[OPTION?]", "[OPTION...]")
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def main():
    prog, version, out, summary = sys.argv[1:5]
    name = os.path.basename(prog)
    top = run_help(prog)
    # vknn lists its commands; each has its own --help.
    commands = re.findall(r"^  ([a-z]+) ", top.split("\nCommands:\n", 1)[1], flags=re.M) \
        if "\nCommands:\n" in top else []
    page = [
        f'.TH {name.upper()} 1 "" "vknn {version}" "User Commands"',
        ".SH NAME",
        f"{roff(name)} \\- {roff(summary)}",
        ".SH SYNOPSIS",
        f".B {roff(name)}",
        ("\\fICOMMAND\\fR " if commands else "") + "[\\fIARGS\\fR] [\\fIOPTIONS\\fR]",
        ".SH DESCRIPTION",
        "The text below is the program's own \\fB\\-\\-help\\fR.",
        ".PP",
        ".nf",
        roff(top),
        ".fi",
    ]
    if commands:
        page.append(".SH COMMANDS")
    for cmd in commands:
        page += [".SS " + cmd, ".nf", roff(run_help(prog, cmd)), ".fi"]
    page += [
        ".SH ENVIRONMENT",
        ".TP",
        ".B VKNN_DEVICE",
        "The Vulkan device (an index, a name substring or a UUID; \\fBvknn devices\\fR lists them).",
        ".SH SEE ALSO",
        ".BR vknn (1),",
        ".BR gst\\-inspect\\-1.0 (1)",
        "(the GStreamer elements vkstyletransfer, vksaliency and vkactivationmap),",
        ".BR pkg\\-config (1)",
        "(libvknn: \\fBpkg\\-config \\-\\-cflags \\-\\-libs vknn\\fR).",
    ]
    if name == "vknn":
        page[-6:-6] = [".SH EXIT STATUS",
                       "0 on success, 1 for a failed run, 2 for a wrong command line."]
        page.remove(".BR vknn (1),")
    with open(out, "w") as f:
        f.write("\n".join(page) + "\n")


if __name__ == "__main__":
    main()
