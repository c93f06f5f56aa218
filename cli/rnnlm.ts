#!/usr/bin/env node
import { Command } from 'commander';

const program = new Command();
program.name('rnnlm').description('Recurrent language models for TensorFlow.js').version('0.1.0');
program.parse();
