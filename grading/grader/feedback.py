"""Feedback without the hidden tests: nbgrader's feedback shows the whole test cell by default."""
from nbgrader.preprocessors import ClearHiddenTests

from .execute import is_test_cell

MAX_MESSAGE = 1000


class HideTestSource(ClearHiddenTests):
    """In each test cell: drop the hidden-test block from the source and keep, of the outputs,
    only the result: ``AssertionError: <message>`` without the traceback (whose frames quote the
    failing hidden line). Student prints inside test cells are dropped as well: they could
    quote the caller's source."""

    def preprocess_cell(self, cell, resources, cell_index):
        if not is_test_cell(cell):
            return cell, resources
        self._remove_hidden_test_region(cell)
        kept = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                message = f"{out.get('ename', 'Error')}: {out.get('evalue', '')}"[:MAX_MESSAGE]
                out["traceback"] = [message]
                kept.append(out)
        cell["outputs"] = kept
        return cell, resources
