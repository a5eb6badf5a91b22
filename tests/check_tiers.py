#!/usr/bin/env python3
"""Checks that libvknn's tiers call only downward (docs/architecture.md),
and that it exports only vknn_ names.

  check_tiers.py BUILDDIR SRCDIR

BUILDDIR is the meson build directory, whose compute/libvknn.a.p holds
libvknn's object files (named after their path, e.g. exec_net.c.o); SRCDIR
is compute/. Three checks, each of which fails
on a real violation:
  1. calls: every symbol an object file uses from another object of
     libvknn is defined in the same tier or one below it (nm);
  2. includes: a source file includes internal headers ("tier/...") of its
     own tier or those below;
  3. the graph tier is Vulkan-free: none of its objects was compiled with
     vulkan/vulkan.h (the headers ninja recorded: ninja -t deps);
  4. every global symbol libvknn defines starts with vknn_ (protobuf-c's
     generated onnx__ parser excepted), so embedding it clashes with nothing;
  5. no two files call each other, directly or round a loop, but the
     executor's forward and backward passes (exec/net.c, exec/backward.c);
  6. the shared library libvknn.so exports only vknn_ names (compute/vknn.map:
     protobuf-c's onnx__ parser stays inside);
  7. the installed public headers (include/vknn/) include only one another and
     system headers, never an internal ("tier/...") one.
Prints each violation and exits 1 if there is any.
"""
import os
import re
import subprocess
import sys

# Bottom up. ref/ is beside the stack: it may use runtime and graph only,
# and nothing in the stack may call it.
RANK = {"runtime": 0, "graph": 1, "ops": 2, "exec": 3, "apps": 4}
ALLOWED_BY_REF = {"runtime", "graph"}


def tier_of_object(name):
    if name.startswith("meson-generated_"):
        # the protobuf-c parser (graph: ONNX import and export) and the
        # built-in models' resource (graph: vknn_model_load("builtin:..."))
        return "graph"
    return name.split("_", 1)[0]


def may_use(user, provider):
    if user == provider:
        return True
    if user == "ref":
        return provider in ALLOWED_BY_REF
    if provider == "ref":
        return False
    return RANK[provider] < RANK[user]


GLOBAL_PREFIXES = ("vknn_", "onnx__")


def symbols(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRBCVW":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


# The one loop allowed: forward and backward planning share the plan.
ALLOWED_LOOPS = [{"exec_net.c.o", "exec_backward.c.o"}]


def call_graph(objdir):
    """Object file -> {object file it calls: [symbols]}, within libvknn."""
    objs = sorted(f for f in os.listdir(objdir) if f.endswith(".o"))
    where, uses = {}, {}
    for o in objs:
        defined, used = symbols(os.path.join(objdir, o))
        for s in defined:
            where[s] = o
        uses[o] = used
    graph = {o: {} for o in objs}
    for o, used in uses.items():
        for s in sorted(used):
            p = where.get(s)
            if p and p != o:
                graph[o].setdefault(p, []).append(s)
    return graph


def loops(graph):
    """The strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def check_loops(objdir):
    return [f"files call each other in a loop: {' '.join(sorted(c))}"
            for c in loops(call_graph(objdir)) if c not in ALLOWED_LOOPS]


def check_calls(objdir):
    graph = call_graph(objdir)
    if not graph:
        return [f"no object files in {objdir}"]
    bad = []
    for o, callees in graph.items():
        tier = tier_of_object(o)
        if tier not in RANK and tier != "ref":
            bad.append(f"{o}: not in a tier folder")
            continue
        for p, syms in callees.items():
            if not may_use(tier, tier_of_object(p)):
                bad.append(f"{o} ({tier}) calls {' '.join(syms)} in {p} ({tier_of_object(p)})")
    return bad


def check_prefixes(objdir):
    bad = []
    for o in sorted(f for f in os.listdir(objdir) if f.endswith(".o")):
        defined, _ = symbols(os.path.join(objdir, o))
        bad += [f"{o} exports {s}" for s in sorted(defined) if not s.startswith(GLOBAL_PREFIXES)]
    return bad


def check_shared_exports(builddir):
    lib = os.path.join(builddir, "compute", "libvknn.so")
    out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    bad = []
    for line in out.splitlines():
        parts = line.split()
        # "A" is the version node (VKNN_0) itself.
        if len(parts) == 3 and parts[1] != "A" and not parts[2].startswith("vknn_"):
            bad.append(f"libvknn.so exports {parts[2]}")
    if not bad and "vknn_net_new" not in out:
        bad.append("libvknn.so does not export vknn_net_new")
    return bad


PUBLIC_INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]')


def check_public_headers(srcdir):
    incdir = os.path.join(srcdir, "include", "vknn")
    public = set(os.listdir(incdir))
    bad = []
    for f in sorted(public):
        for n, line in enumerate(open(os.path.join(incdir, f), encoding="utf-8"), 1):
            m = PUBLIC_INCLUDE.match(line)
            if not m:
                continue
            kind, name = m.groups()
            if kind == '"' or name.split("/")[0] in RANK or name.split("/")[0] == "ref" or (
                    name.startswith("vknn/") and name[5:] not in public):
                bad.append(f"include/vknn/{f}:{n} includes {kind}{name}: not a public header")
    return bad


INCLUDE = re.compile(r'^\s*#\s*include\s+"(\w+)/')


def check_includes(srcdir):
    bad = []
    for tier in list(RANK) + ["ref"]:
        for root, _, files in os.walk(os.path.join(srcdir, tier)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, f)
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    m = INCLUDE.match(line)
                    if m and m.group(1) in RANK and not may_use(tier, m.group(1)):
                        rel = os.path.relpath(path, srcdir)
                        bad.append(f"{rel}:{n} ({tier}) includes {m.group(1)}/")
    return bad


def check_graph_vulkan_free(builddir, objdir):
    objs = sorted(f for f in os.listdir(objdir) if f.startswith("graph_") and f.endswith(".o"))
    targets = [os.path.relpath(os.path.join(objdir, f), builddir) for f in objs]
    deps = subprocess.run(["ninja", "-C", builddir, "-t", "deps"] + targets,
                          capture_output=True, text=True, check=True).stdout
    if "graph/model.c" not in deps:
        return ["ninja recorded no headers for the graph tier's objects"]
    bad = []
    for block in deps.split("\n\n"):
        if "vulkan/vulkan.h" in block:
            bad.append(f"{block.split(':', 1)[0]}: the graph tier includes vulkan/vulkan.h")
    return bad


def main():
    builddir, srcdir = sys.argv[1], sys.argv[2]
    objdir = os.path.join(builddir, "compute", "libvknn.a.p")
    checks = [("calls", check_calls(objdir)), ("includes", check_includes(srcdir)),
              ("Vulkan-free graph", check_graph_vulkan_free(builddir, objdir)),
              ("vknn_ prefix", check_prefixes(objdir)), ("no loops", check_loops(objdir)),
              ("shared library exports", check_shared_exports(builddir)),
              ("public headers", check_public_headers(srcdir))]
    failed = 0
    for name, bad in checks:
        for b in bad:
            print(f"  {b}")
        print(f"{name}: {'FAILED' if bad else 'ok'}")
        failed += bool(bad)
    print(f"{len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
