/** The login form: the service's user and password, or an API token. */
import { html } from 'hono/html';
import { csrfField, layout, type Html, type PageContext } from '../layout.js';

export function loginPage(ctx: PageContext, next: string, message?: string): Html {
  return layout(
    ctx,
    'Log in',
    html`${message ? html`<p class="notice error-box" role="alert">${message}</p>` : ''}
<form method="post" action="/login">${csrfField(ctx)}<input type="hidden" name="next" value="${next}">
<p><label>User<input name="user" autocomplete="username"></label></p>
<p><label>Password<input type="password" name="password" autocomplete="current-password"></label></p>
<p class="muted">or</p>
<p><label>API token<input type="password" name="token" autocomplete="off"></label></p>
<p><button type="submit">Log in</button></p></form>`,
  );
}

export function errorPage(ctx: PageContext, title: string, message: string): Html {
  return layout(ctx, title, html`<p class="notice error-box">${message}</p><p><a href="/">Back to the overview</a></p>`);
}
