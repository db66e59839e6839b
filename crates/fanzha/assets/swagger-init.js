// Starts Swagger UI on the API docs page (a file, because the CSP forbids inline script).
window.addEventListener("load", function () {
  window.SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger", deepLinking: true });
});
