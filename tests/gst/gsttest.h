/* Helpers shared by the GStreamer tests: 8-bit frames, GstHarness
 * pipelines with a bus, whole pipelines run to their end, decoding files. */
#pragma once

#include "testutil.h"

#include <gst/check/gstharness.h>
#include <gst/gst.h>

/* An 8-bit frame, 4 bytes a pixel, rows packed. */
typedef struct {
    int w, h;
    guint8 *px;
} Frame;

Frame frame_new(int w, int h);
void frame_clear(Frame *f);
/* RGBA from a float NCHW [1,3,h,w] tensor of 0..255 values (rounded, clamped). */
Frame frame_from_nchw(const float *t, int w, int h);
/* Smooth colour gradients with some edges (RGBA, alpha 255). */
Frame frame_synthetic(int w, int h, int seed);
/* Swaps R and B: RGBA <-> BGRA. */
Frame frame_swap_rb(const Frame *in);
/* Largest per-byte difference over channels 0..n_ch-1 of every pixel (256
 * when the sizes differ). */
int frame_max_diff(const Frame *a, const Frame *b, int n_ch);

/* A check (test_check) that got and want differ by at most tol per byte. */
gboolean check_diff(const Frame *got, const Frame *want, int n_ch, int tol, const char *what);

/* A harness from a launch line, with a bus that collects the elements'
 * messages (GstHarness has none). Free with harness_free. */
GstHarness *harness_new(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void harness_free(GstHarness *h);
/* Sets video/x-raw caps of format and size at 30/1 on the harness source. */
void harness_set_size(GstHarness *h, const char *format, int w, int h_);
/* The first element made by factory `name` (a ref), asserted to exist. */
GstElement *harness_element(GstHarness *h, const char *name);
/* Pushes one frame (timestamp pts when valid) and pulls the result; FALSE
 * (and the flow) when the push fails. */
gboolean harness_run_at(GstHarness *h, const Frame *in, GstClockTime pts, Frame *out,
                        GstFlowReturn *flow);
gboolean harness_run(GstHarness *h, const Frame *in, Frame *out, GstFlowReturn *flow);
/* harness_run that exits the test on failure. */
Frame harness_frame(GstHarness *h, const Frame *in);
/* Pushes in (RGBA) with R and B swapped as format (BGRA or BGRx) through a
 * fresh harness on launch, and checks the output against want (RGBA)
 * swapped likewise. */
gboolean check_swapped(const char *launch, const char *format, const Frame *in, const Frame *want,
                       int tol, const char *what);
/* The first message of type on the harness bus, or NULL. */
GstMessage *harness_message(GstHarness *h, GstMessageType type);

/* Whether the element factory exists (prints a failure with the plugin path
 * otherwise). */
gboolean have_element(const char *name);
/* Whether rel exists under ../shared (prints a skip notice otherwise). */
gboolean have_shared(const char *rel);

/* Runs launch to its end; returns the error it posted (or NULL). */
GError *pipeline_error(const char *launch);
/* The same, also giving the texts of the warnings it posted, joined by
 * " | " (g_free). */
GError *pipeline_run(const char *launch, char **warnings);

typedef struct {
    int width, height, frames;
    double fps;
    guint8 *first; /* RGBA of the first frame, rows packed */
} Decoded;

/* Decodes a file (video or image) with decodebin into RGBA frames, scaled
 * to width x height when both are > 0. Free d->first. */
gboolean decode_file(const char *path, int width, int height, Decoded *d);
