// Keyboard answering: y / n / a answer the item, j / k move to the next / previous item.
// Keys typed into the note or URL fields stay text; Escape leaves a field.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  var typing = target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT" || target.tagName === "SELECT");
  if (typing) {
    if (event.key === "Escape") { target.blur(); }
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey) { return; }
  var buttons = {y: "answer-yes", n: "answer-no", a: "answer-na"};
  var links = {j: "next", k: "prev"};
  var element = document.getElementById(buttons[event.key] || links[event.key] || "");
  if (!element) { return; }
  event.preventDefault();
  element.click();
});
