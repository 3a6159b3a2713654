/**
 * Helpers the library's own modules share. Not API: anything here may change or go in any release, and a
 * user's code should not call it.
 */
package dev.devs.sandbox.internal;
