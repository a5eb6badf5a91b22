#!/usr/bin/env python3
"""deploy/'s manifests and Containerfile against what they refer to.

No cluster and no container daemon here, so this checks what can be checked
offline: the YAML parses, the Indexed Job's completions equal the entries of
its list, its failure policy matches the entrypoint's exit codes, every
variable it sets is one the entrypoint reads, the mounts hold the paths the
variables name; the live Deployment's Service selects its pods and targets
its ports, the pipeline's SRT ports are the container's, and every element
of the pipeline exists (gst-inspect-1.0, with the build's plugin); the
Containerfile copies files that exist and installs the packages debian/
builds.

    check_manifests.py SOURCE_DIR
Exit 77 (skipped) without python3-yaml.
"""
import os
import posixpath
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("SKIP: python3-yaml is not installed")
    sys.exit(77)

SRC = sys.argv[1]
failures = 0


def check(desc, ok):
    global failures
    print(("ok: " if ok else "FAIL: ") + desc)
    if not ok:
        failures += 1


def load(rel):
    with open(os.path.join(SRC, rel)) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    return {d["kind"]: d for d in docs}


def entrypoint_variables():
    """The VKNN_* variables render-entrypoint.sh reads (its ${VKNN_...} uses)."""
    with open(os.path.join(SRC, "deploy/render-entrypoint.sh")) as f:
        return set(re.findall(r"\$\{(VKNN_[A-Z_]+)", f.read()))


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def mounted_volume(container, path):
    """The volume name whose mount holds path, or None."""
    best = None
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, m["name"])
    return best[1] if best else None


def exit_codes(policy, action, container):
    return {v for r in policy["rules"] if r["action"] == action and "onExitCodes" in r
            and r["onExitCodes"].get("containerName") == container
            and r["onExitCodes"]["operator"] == "In" for v in r["onExitCodes"]["values"]}


def check_job():
    kinds = load("deploy/k8s/render-job.yaml")
    check("render-job.yaml parses: ConfigMap, PersistentVolumeClaim, Job",
          set(kinds) == {"ConfigMap", "PersistentVolumeClaim", "Job"})
    job, cm, pvc = kinds["Job"], kinds["ConfigMap"], kinds["PersistentVolumeClaim"]
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    env = env_of(c)
    check("the Job is Indexed", spec.get("completionMode") == "Indexed")
    check("restartPolicy Never (a podFailurePolicy needs it; retries are counted per index)",
          pod.get("restartPolicy") == "Never")
    check("failed pods are retried per index (backoffLimitPerIndex >= 1)",
          spec.get("backoffLimitPerIndex", 0) >= 1)
    unknown = set(k for k in env if k.startswith("VKNN_")) - entrypoint_variables()
    check("every VKNN_ variable of the Job is read by render-entrypoint.sh (unknown: %s)"
          % sorted(unknown), not unknown)
    list_path = env.get("VKNN_LIST", "/config/list.txt")
    vols = {v["name"]: v for v in pod["volumes"]}
    list_vol = vols.get(mounted_volume(c, list_path), {})
    check("VKNN_LIST %s is on the ConfigMap %s" % (list_path, cm["metadata"]["name"]),
          list_vol.get("configMap", {}).get("name") == cm["metadata"]["name"])
    key = posixpath.basename(list_path)
    entries = [l for l in cm["data"].get(key, "").splitlines()
               if l.strip() and not l.strip().startswith("#")]
    check("completions (%s) = the %d entries of %s" % (spec.get("completions"), len(entries), key),
          spec.get("completions") == len(entries))
    stems = [posixpath.splitext(posixpath.basename(e))[0] for e in entries]
    check("each entry has its own output name", len(set(stems)) == len(stems))
    for var, default in (("VKNN_INPUT_DIR", "/data/in"), ("VKNN_OUTPUT_DIR", "/data/out")):
        path = env.get(var, default)
        vol = vols.get(mounted_volume(c, path), {})
        check("%s %s is on the claim %s" % (var, path, pvc["metadata"]["name"]),
              vol.get("persistentVolumeClaim", {}).get("claimName") == pvc["metadata"]["name"])
    policy = spec.get("podFailurePolicy", {"rules": []})
    check("exit 3 (the input does not decode) fails its index at once",
          3 in exit_codes(policy, "FailIndex", c["name"]))
    check("exit 2 (bad configuration) fails the Job",
          2 in exit_codes(policy, "FailJob", c["name"]))
    check("a pre-empted pod is not counted (DisruptionTarget: Ignore)",
          any(r["action"] == "Ignore" and {"type": "DisruptionTarget"} in
              r.get("onPodConditions", []) for r in policy["rules"]))


def pipeline_elements(args):
    """Element names of a gst-launch argument list: the first word after each '!'."""
    words = [a for a in args if not a.startswith("-")]
    firsts = [words[0]] + [words[i + 1] for i, w in enumerate(words[:-1]) if w == "!"]
    return [w for w in firsts if "/" not in w and "=" not in w]  # not caps


def check_live(gst_plugin_path):
    kinds = load("deploy/k8s/live-deployment.yaml")
    check("live-deployment.yaml parses: Deployment, Service",
          set(kinds) == {"Deployment", "Service"})
    dep, svc = kinds["Deployment"], kinds["Service"]
    labels = dep["spec"]["template"]["metadata"]["labels"]
    check("the Deployment's selector matches its pods",
          dep["spec"]["selector"]["matchLabels"].items() <= labels.items())
    check("the Service selects the Deployment's pods", svc["spec"]["selector"].items() <= labels.items())
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    ports = {p["name"]: p for p in c["ports"]}
    check("the Service targets the container's ports",
          all(p["targetPort"] in ports and p["protocol"] == ports[p["targetPort"]]["protocol"]
              for p in svc["spec"]["ports"]))
    args = c["args"]
    uris = [a.split("=", 1)[1] for a in args if a.startswith("uri=srt://")]
    uri_ports = sorted(int(re.search(r":(\d+)", u).group(1)) for u in uris)
    check("the SRT URIs' ports %s are the container's UDP ports" % uri_ports,
          uri_ports == sorted(p["containerPort"] for p in ports.values() if p["protocol"] == "UDP"))
    elements = pipeline_elements(args)
    check("the pipeline goes srtsrc ... srtsink", elements[0] == "srtsrc" and elements[-1] == "srtsink")
    env = dict(os.environ, GST_PLUGIN_PATH=gst_plugin_path)
    # Not --exists: that also wants the plugin's version >= GStreamer's.
    missing = [e for e in elements if subprocess.run(["gst-inspect-1.0", e], env=env,
                                                     stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.DEVNULL).returncode != 0]
    check("every element of the pipeline exists here (missing: %s)" % missing, not missing)


def check_containerfile():
    with open(os.path.join(SRC, "deploy/Containerfile")) as f:
        text = f.read()
    joined = re.sub(r"\\\n", " ", text)
    copies = re.findall(r"^COPY\s+(\S+)\s+(\S+)", joined, re.M)
    sources_ok = all(s.startswith("debs/") or os.path.exists(os.path.join(SRC, s)) for s, _ in copies)
    check("the Containerfile copies files of the checkout (and debs/)", sources_ok)
    with open(os.path.join(SRC, "scripts/package.sh")) as f:
        check("debs/ is where scripts/package.sh puts the packages", "debs/" in f.read())
    with open(os.path.join(SRC, "debian/control")) as f:
        built = set(re.findall(r"^Package:\s*(\S+)", f.read(), re.M))
    installed = set(re.findall(r"/tmp/debs/([a-z0-9.+-]+)_\*\.deb", joined))
    check("it installs packages that debian/ builds (%s)" % sorted(installed),
          installed and installed <= built and "gstreamer1.0-vknn" in installed)
    entry = re.search(r'^ENTRYPOINT\s*\["([^"]+)"', joined, re.M)
    check("its ENTRYPOINT is the copied render-entrypoint.sh",
          entry is not None and ("deploy/render-entrypoint.sh", entry.group(1)) in copies)


check_job()
check_live(sys.argv[2] if len(sys.argv) > 2 else "")
check_containerfile()
sys.exit(1 if failures else 0)
