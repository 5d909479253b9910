// Selecting words in a narrative fills the coding form's start and end (the form works without).
// Offsets count the characters of the text as stored, as the server does: code points, not the
// UTF-16 units JavaScript counts in, and never the [n] tags that number coded passages.
(function () {
  "use strict";
  var text = document.getElementById("narrative-text");
  var start = document.getElementById("start");
  var end = document.getElementById("end");
  var chosen = document.getElementById("chosen");
  if (!text || !start || !end) { return; }

  function offset(node, within) {
    // Characters of the narrative before `within` characters into `node`.
    var count = 0;
    var walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        return n.parentElement.closest("[data-skip]") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var current;
    while ((current = walker.nextNode())) {
      if (current === node) { return count + Array.from(current.data.slice(0, within)).length; }
      count += Array.from(current.data).length;
    }
    return count;
  }

  function point(node, within) {
    // A selection's end may sit on an element (or inside a tag): find the text position it means.
    if (node.nodeType === Node.TEXT_NODE) {
      if (node.parentElement.closest("[data-skip]")) { return offset(node, 0); }
      return offset(node, within);
    }
    var range = document.createRange();
    range.selectNodeContents(text);
    range.setEnd(node, within);
    var before = range.cloneContents();
    before.querySelectorAll("[data-skip]").forEach(function (e) { e.remove(); });
    return Array.from(before.textContent).length;
  }

  document.addEventListener("selectionchange", function () {
    var selection = document.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) { return; }
    var range = selection.getRangeAt(0);
    if (!text.contains(range.startContainer) || !text.contains(range.endContainer)) { return; }
    var first = point(range.startContainer, range.startOffset);
    var last = point(range.endContainer, range.endOffset);
    if (last <= first) { return; }
    start.value = String(first);
    end.value = String(last);
    if (chosen) {
      var words = range.cloneContents();
      words.querySelectorAll("[data-skip]").forEach(function (e) { e.remove(); });
      chosen.textContent = "Chosen: \u201c" + words.textContent + "\u201d";
    }
  });
})();
