// A chosen standard reply is copied into the reply box to be edited; without JavaScript it is sent as it is.
// A file of its own, not an inline script: the pages' Content-Security-Policy allows scripts from 'self' only.
document.querySelectorAll("select[data-fills]").forEach(function (select) {
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    if (option.dataset.text) { document.getElementById(select.dataset.fills).value = option.dataset.text; }
  });
});
