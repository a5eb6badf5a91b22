#!/usr/bin/python3
"""vksaliency with its top-1 label drawn on the video (PyGObject).

gst-launch cannot route bus messages into an element, so this script runs the
pipeline of pipelines/saliency-live.sh with a textoverlay after vksaliency and
sets the overlay's text from each "vknn-saliency" element message: the label
and probability of the most probable class, and the class whose map is shown
when target-class picks another one.

    GST_PLUGIN_PATH=build/gst-plugins pipelines/examples/saliency_labels.py [SOURCE]
        [--model M.onnx] [--labels L.txt] [--size 320x240] [--sink fakesink]
        [--frames N] [PROPERTY=VALUE ...]

SOURCE is a camera device (/dev/video0, the default when present), a video
file, or "test" (videotestsrc); other PROPERTY=VALUE pairs go to vksaliency
(method=guided, interval=3, ...). Each message is also printed. Needs
python3-gi and gir1.2-gst-plugins-base-1.0.
"""
import argparse
import os
import sys
import warnings

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared")


def source_description(source, frames):
    """The pipeline's source part for a camera, a file or 'test'."""
    if source == "test":
        return f"videotestsrc num-buffers={frames} pattern=ball"
    if source.startswith("/dev/"):
        return f'v4l2src device="{source}" num-buffers={frames}'
    return f'filesrc location="{source}" ! decodebin'


def top_classes(s):
    """The message's top5 as (id, label, score) tuples, best first. Without
    gst-python's overrides PyGObject cannot convert a GstValueArray: go
    through gst_structure_get_array's GValueArray."""
    ok, array = s.get_array("top5")
    if not ok:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # GValueArray, for bindings
        entries = [array.get_nth(i) for i in range(array.n_values)]
    return [(c.get_int("id")[1], c.get_string("label"), c.get_double("score")[1]) for c in entries]


def on_message(bus, msg, state):
    """Sync handler (streaming thread): vksaliency posts the message before it
    pushes the frame, so setting the text here labels that very frame."""
    s = msg.get_structure()
    if msg.type != Gst.MessageType.ELEMENT or not s or s.get_name() != "vknn-saliency":
        return
    label, score = s.get_string("label"), s.get_double("score")[1]
    class_id = s.get_int("class-id")[1]
    text = f"{label}  {score:.0%}"
    top = top_classes(s)
    if top and top[0][0] != class_id:  # target-class shows another class's map
        text = f"{top[0][1]}  {top[0][2]:.0%}  (map: {label})"
    state["overlay"].set_property("text", text)
    state["messages"] += 1
    ts = s.get_uint64("timestamp")[1]
    print(f"{ts / Gst.SECOND:8.3f} s  {s.get_string('method')}: {text}", flush=True)


def main():
    camera = "/dev/video0" if os.path.exists("/dev/video0") else None
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", nargs="?",
                    default=camera or os.path.join(SHARED, "media/video/intel_book.mkv"))
    ap.add_argument("properties", nargs="*", help="vksaliency PROPERTY=VALUE")
    ap.add_argument("--model", default=os.path.join(SHARED, "models/classify/squeezenet1_1.onnx"))
    ap.add_argument("--labels", default=None, help="default: imagenet_classes.txt beside the model")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--sink", default="autovideosink")
    ap.add_argument("--frames", type=int, default=-1, help="camera/test frames (-1: endless)")
    args = ap.parse_args()
    if "=" in args.source:  # a property, not a source
        args.properties.insert(0, args.source)
        args.source = ap.get_default("source")
    labels = args.labels or os.path.join(os.path.dirname(args.model), "imagenet_classes.txt")
    width, height = args.size.split("x")

    Gst.init(None)
    props = " ".join(args.properties)
    labels_prop = f'labels="{labels}"' if os.path.exists(labels) else ""
    pipeline = Gst.parse_launch(
        f"{source_description(args.source, args.frames)} ! videoconvert ! videoscale ! "
        f"video/x-raw,width={width},height={height} ! "
        f'vksaliency model="{args.model}" {labels_prop} {props} ! videoconvert ! '
        'textoverlay name=label valignment=top halignment=left font-desc="Sans 14" '
        f"shaded-background=true ! videoconvert ! {args.sink}")
    state = {"overlay": pipeline.get_by_name("label"), "messages": 0}
    bus = pipeline.get_bus()
    bus.enable_sync_message_emission()
    bus.connect("sync-message::element", on_message, state)

    loop = GLib.MainLoop()
    result = {"error": None}

    def on_bus(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            result["error"] = f"{err.message} ({debug})"
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()

    bus.add_signal_watch()
    bus.connect("message", on_bus)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    except KeyboardInterrupt:
        pass
    pipeline.set_state(Gst.State.NULL)
    bus.remove_signal_watch()
    if result["error"]:
        sys.exit(f"saliency_labels.py: error: {result['error']}")
    print(f"{state['messages']} labels drawn")


if __name__ == "__main__":
    main()
