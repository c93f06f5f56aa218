/** Configuration: the option lists, hyper-parameters, presets and the options of each entry point, each defined once. */
export * from './names';
export * from './options';
export * from './model';
export * from './hyper';
export * from './presets';
export * from './commands';
