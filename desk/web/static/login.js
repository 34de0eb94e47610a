// The login page: the answer's own words on a refusal, the queue on success.
"use strict";

(() => {
  const form = document.getElementById("login");
  const status = document.getElementById("status");
  const button = document.getElementById("enter");

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "";
    try {
      const { status: code, data } = await Desk.api("POST", "login", {
        username: form.username.value,
        password: form.password.value,
      });
      if (code === 200) {
        window.location.assign("/desk/");
        return;
      }
      status.textContent = data.text || "ورود انجام نشد. لطفاً دوباره امتحان کنید.";
    } catch (error) {
      status.textContent = "ارتباط با سرور برقرار نشد. لطفاً دوباره امتحان کنید.";
    } finally {
      form.password.value = "";
      button.disabled = false;
    }
  });
})();
