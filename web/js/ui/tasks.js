export function registerTasksTab() {}
