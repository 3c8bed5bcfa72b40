"""``SummaryWriter``: log data for TensorBoard, with the API of ``torch.utils.tensorboard``.

Events go through the ``tensorboard`` package's own ``EventFileWriter``: a background thread
writes each event to the file soon after it is logged and flushes at least every
``flush_secs`` seconds. Every writer still open when the interpreter exits (a script ending, a
notebook kernel shut down or restarted) is closed then, so nothing queued is lost. A process
that is *killed* (SIGKILL, a crash) runs no exit handlers: at most the events logged in its
last ``flush_secs`` seconds may be missing, and the file stays readable.
"""
from __future__ import annotations

import atexit
import os
import socket
import time
from datetime import datetime

from tensorboard.compat.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
from tensorboard.summary.writer.event_file_writer import EventFileWriter

from . import summary
from ._convert import figure_to_image, image_hwc, images_hwc

__all__ = ["SummaryWriter"]

_open_writers = {}     # EventFileWriter not closed yet -> its process: closed at exit


@atexit.register
def _close_all():
    """Close this process's open event files (a forked child leaves its parent's alone)."""
    for writer, pid in list(_open_writers.items()):
        if pid == os.getpid():
            writer.close()
            del _open_writers[writer]


class _FileWriter:
    """One event file in one directory (a run); stamps events with wall time and step."""

    def __init__(self, log_dir, max_queue, flush_secs, filename_suffix):
        self.log_dir = str(log_dir)
        self.events = EventFileWriter(self.log_dir, max_queue, flush_secs, filename_suffix)
        _open_writers[self.events] = os.getpid()

    def get_logdir(self):
        return self.log_dir

    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self.events.add_event(event)

    def add_summary(self, proto, step=None, walltime=None):
        self.add_event(Event(summary=proto), step, walltime)

    def flush(self):
        self.events.flush()

    def close(self):
        self.events.close()
        _open_writers.pop(self.events, None)


class SummaryWriter:
    """Writes scalars, histograms, images, figures, text, hyperparameters and the graph of a
    model to event files in ``log_dir`` (default ``runs/<date>_<host><comment>``), for
    TensorBoard (``tensorboard --logdir runs``).

    Events reach the file within ``flush_secs`` seconds; ``close()`` (or the end of a ``with``
    block, or the interpreter's exit) writes the rest. A killed process loses at most its
    last ``flush_secs`` seconds of events.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = str(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()

    def _get_file_writer(self) -> _FileWriter:
        """The writer of ``log_dir``, opened again if the SummaryWriter was closed."""
        if self.file_writer is None:
            self.file_writer = self._new_writer(self.log_dir)
            self.all_writers = {self.log_dir: self.file_writer}
            if self.purge_step is not None:      # hide the events of a crashed run from here on
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 file_version="brain.Event:2"))
                self.file_writer.add_event(Event(step=self.purge_step,
                                                 session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def _new_writer(self, log_dir):
        return _FileWriter(log_dir, self.max_queue, self.flush_secs, self.filename_suffix)

    def get_logdir(self) -> str:
        return self.log_dir

    def _summary(self, proto, global_step, walltime):
        self._get_file_writer().add_summary(proto, global_step, walltime)

    # ---- the kinds of data ---------------------------------------------------------------
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One value (a number or a one-element tensor) of the curve ``tag`` at ``global_step``."""
        self._summary(summary.scalar(tag, scalar_value, new_style, double_precision),
                      global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several curves in one chart: each key is written to its own run
        ``<log_dir>/<main_tag>_<key>`` under the tag ``main_tag``."""
        walltime = time.time() if walltime is None else walltime
        log_dir = self._get_file_writer().log_dir
        for tag, value in tag_scalar_dict.items():
            run_dir = log_dir + "/" + main_tag.replace("/", "_") + "_" + tag
            if run_dir not in self.all_writers:
                self.all_writers[run_dir] = self._new_writer(run_dir)
            self.all_writers[run_dir].add_summary(summary.scalar(main_tag, value),
                                                  global_step, walltime)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins=None):
        """The distribution of ``values`` (tensor, array or list); ``bins`` as in
        ``numpy.histogram``, or ``"tensorflow"`` for TensorFlow's exponential buckets."""
        self._summary(summary.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image: ``CHW`` (default), ``HWC`` or ``HW``; floats in [0, 1] or uint8 0..255."""
        self._summary(summary.image(tag, image_hwc(img_tensor, dataformats)), global_step,
                      walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images (``NCHW`` by default) shown as one grid, eight images a row."""
        self._summary(summary.image(tag, images_hwc(img_tensor, dataformats)), global_step,
                      walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of figures, shown as a grid), rendered to an image."""
        if isinstance(figure, list):
            self.add_images(tag, figure_to_image(figure, close), global_step, walltime, "NCHW")
        else:
            self.add_image(tag, figure_to_image(figure, close), global_step, walltime, "CHW")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """A (markdown) text, shown by the Text dashboard."""
        self._summary(summary.text(tag, text_string), global_step, walltime)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Run ``model`` once on ``input_to_model`` (a tensor or a tuple of tensors) in eval mode
        and write the autograd graph it built, grouped by module, for the Graphs dashboard.
        (``use_strict_trace`` is accepted for torch compatibility; there is no JIT here.)"""
        from ...autograd.graph import trace
        from ._graph import graph_def
        graph, stats = graph_def(trace(model, input_to_model))
        if verbose:
            for node in graph.node:
                print(f"{node.name} = {node.op}({', '.join(node.input)})")
        writer = self._get_file_writer()
        writer.add_event(Event(graph_def=graph.SerializeToString()))
        writer.add_event(Event(tagged_run_metadata=TaggedRunMetadata(
            tag="step1", run_metadata=stats.SerializeToString())))

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """One training session for the HParams dashboard: its hyperparameters and final
        metrics, written to the sub-run ``run_name`` (default: the current time)."""
        exp, start, end = summary.hparams(hparam_dict, metric_dict, hparam_domain_discrete)
        run_dir = os.path.join(self._get_file_writer().log_dir, run_name or str(time.time()))
        with SummaryWriter(log_dir=run_dir, max_queue=self.max_queue,
                           flush_secs=self.flush_secs) as hp_writer:
            for s in (exp, start, end):
                hp_writer.file_writer.add_summary(s, global_step)
            for tag, value in metric_dict.items():
                hp_writer.add_scalar(tag, value, global_step)

    # ---- life cycle ------------------------------------------------------------------------
    def flush(self):
        """Write everything logged so far to disk."""
        for writer in (self.all_writers or {}).values():
            writer.flush()

    def close(self):
        """Flush and close the event files (logging again opens a new file)."""
        for writer in (self.all_writers or {}).values():
            writer.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
