/* Video frames as training content (GStreamer). */
#pragma once

#include "image.h"

/* Decodes up to max_frames frames of a video file, one every `period`
 * seconds, each scaled so its shorter side is `side` (CliImage*, owned). */
GPtrArray *cli_video_frames(const char *path, int side, double period, int max_frames,
                            GError **err);
