#!/usr/bin/python3
"""The C example (embed.c) in Python (PyGObject): a pipeline with
vkstyletransfer, frames received through appsink, strength and style changed
while it plays.

    GST_PLUGIN_PATH=build/gst-plugins pipelines/examples/embed.py STYLE1.onnx STYLE2.onnx [FRAMES]

Needs python3-gi and gir1.2-gst-plugins-base-1.0.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402


def main(style1, style2, total=30):
    Gst.init(None)
    pipeline = Gst.parse_launch(
        f"videotestsrc num-buffers={total} ! video/x-raw,format=RGBA,width=160,height=120 ! "
        f'vkstyletransfer name=style model="{style1}" ! appsink name=sink sync=false')
    style, sink = pipeline.get_by_name("style"), pipeline.get_by_name("sink")
    frames = 0

    def on_sample(appsink):
        nonlocal frames
        buf = appsink.emit("pull-sample").get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        red = sum(info.data[0::4]) / (len(info.data) // 4) if ok else -1
        buf.unmap(info)
        frames += 1
        print(f"frame {frames:3d}: mean red {red:.1f}")
        if frames == total // 3:  # properties may change from any thread while playing
            print("-> strength 0.5")
            style.set_property("strength", 0.5)
        elif frames == 2 * total // 3:
            print(f"-> model {style2} (loads in the background)")
            style.set_property("strength", 1.0)
            style.set_property("model", style2)
        return Gst.FlowReturn.OK

    sink.set_property("emit-signals", True)
    sink.connect("new-sample", on_sample)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        sys.exit(f"embed.py: error: {msg.parse_error()[0].message}")
    print(f"{frames} frames received")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(f"usage: {sys.argv[0]} STYLE1.onnx STYLE2.onnx [FRAMES]")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 30)
