// The ipywidgets HTML manager typesets labels with MathJax 2's API
// (MathJax.Hub.Queue(["Typeset", MathJax.Hub, element])); the book loads MathJax 3,
// which has no Hub. Loaded with `defer` after MathJax, so window.MathJax is
// MathJax 3 by now on pages with math; on pages without, the manager skips typesetting.
(function () {
  if (window.MathJax && !window.MathJax.Hub) {
    window.MathJax.Hub = {
      Queue: function (command) {
        var element = command && command[2];
        if (window.MathJax.typesetPromise) {
          window.MathJax.typesetPromise(element ? [element] : undefined);
        }
      },
    };
  }
})();
